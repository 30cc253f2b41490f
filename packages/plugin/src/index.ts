/**
 * Writing an Oxydra plugin (ZoeyOS's plugin model): `definePlugin({...})` with
 * - tools ("actions"): offered to agents through the same pipeline as the core tools
 *   (validation, safety tier, approval, timeout, truncation, scrubbing);
 * - context providers: run in parallel before each model call within a time budget, their text
 *   sent to the model under the provider's name;
 * - evaluators: run after each turn, never holding up the reply (e.g. fact extraction);
 * - services: started and stopped with the kernel, their health in `oxydra doctor` and /readyz;
 * - event handlers: called with the kernel's events, by event type ("*" for all);
 * - channels: chat platforms (`Channel`, the contract the built-in ones implement), opened by
 *   `oxydra channels run` when `[channels.plugin.<name>]` enables them, answered by the same host.
 * A plugin is an ES module whose default export is the definition. Whatever a plugin throws is
 * reported, audited and contained: the agent goes on.
 */
import type { Channel, Message, SafetyTier } from '@oxydra/types';
import { pluginChannelNameProblem } from '@oxydra/types/config-full';
import type { z } from 'zod';

export interface PluginLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Durable JSON values of this plugin (the workspace's database; in memory when memory is off). */
export interface PluginState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** The workspace's memory, as the agents' memory tools see it (undefined when memory is off). */
export interface PluginMemory {
  remember(content: string, options?: { tags?: string[]; userId?: string }): Promise<void>;
  recall(query: string, options?: { topK?: number; userId?: string }): Promise<string[]>;
}

export interface PluginContext<Config = Record<string, unknown>> {
  /** The name the plugin was loaded under (`[plugins.load.<name>]`). */
  name: string;
  /** `[plugins.load.<name>] config`, checked by the plugin's configSchema. */
  config: Config;
  /** Absolute path of the workspace. */
  workspace: string;
  log: PluginLogger;
  state: PluginState;
  memory: PluginMemory | undefined;
}

/** Who a call is made for. */
export interface PluginCallContext {
  workspace: string;
  agentId?: string;
  sessionId?: string;
  userId?: string;
  /** Aborted when the run is cancelled or the call times out: stop and clean up. */
  signal: AbortSignal;
}

export interface PluginTool<S extends z.ZodObject = z.ZodObject> {
  /** Letters, digits, "_" and "-"; must not clash with another tool (a clash is skipped). */
  name: string;
  /** Written for the model: what it does and how to use it well. */
  description: string;
  parameters: S;
  /** Default "privileged" (asks for approval unless [tools] approval = "auto"). */
  safety?: SafetyTier;
  timeoutMs?: number;
  execute(
    args: z.output<S>,
    context: PluginCallContext,
  ): Promise<string | { content: string; isError?: boolean }>;
}

export interface ContextInput extends PluginCallContext {
  /** The agent's name ("default", or an [agents.<name>] entry). */
  agent: string;
  /** 1 for the first model call of a turn, then 2, 3... */
  turn: number;
  /** The conversation so far (the latest user message last among user messages). */
  messages: readonly Message[];
}

export interface ContextProvider {
  name: string;
  /** Text for the model before this call, or nothing. Late answers are left out. */
  get(input: ContextInput): Promise<string | undefined | null>;
}

export interface TurnOutcome extends PluginCallContext {
  agent: string;
  status: 'completed' | 'failed' | 'cancelled';
  /** The user's message that started the turn (text). */
  prompt: string;
  /** The agent's final answer (text; empty when it failed). */
  answer: string;
  /** The conversation after the turn (earlier turns of the session included). */
  messages: readonly Message[];
}

export interface Evaluator {
  name: string;
  /** After a turn, in the background: the reply has already been given. */
  run(outcome: TurnOutcome): Promise<void>;
}

export interface PluginService {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health?(): { ok: boolean; detail: string };
}

/** A kernel event: the run's stream events and the agents' lifecycle, with who they belong to. */
export interface PluginEvent {
  seq: number;
  agentId: string;
  parentAgentId?: string;
  sessionId?: string;
  userId?: string;
  event: { type: string; [field: string]: unknown };
}

export type EventHandlers = Record<string, (event: PluginEvent) => void | Promise<void>>;

/** What a channel's open() is given: the plugin's context and the channel's own settings. */
export interface PluginChannelContext<Config = Record<string, unknown>> extends PluginContext<Config> {
  /** The channel's name (its `[channels.plugin.<name>]`); the Channel returned must carry it. */
  channel: string;
  /** The platform ids of the senders `[channels.plugin.<name>]` lists (every other is ignored). */
  senderIds: string[];
}

/**
 * A chat platform a plugin provides. Opened only when `[channels.plugin.<name>]` is enabled;
 * the host (sender allowlist, sessions, store, commands) is the built-in platforms' own.
 */
export interface PluginChannel<Config = Record<string, unknown>> {
  /** 1-64 letters, digits or "-"; not a built-in platform's name (telegram, slack, discord, email). */
  name: string;
  /** Opens the adapter, not yet connected (the host calls start()); a missing secret throws. */
  open(context: PluginChannelContext<Config>): Channel | Promise<Channel>;
}

/** A part given as a value, or made from the context once the plugin is initialised. */
type Part<T, Config> = T | ((context: PluginContext<Config>) => T);

export interface PluginDefinition<Config = Record<string, unknown>> {
  /** Letters, digits, ".", "_" and "-". Other plugins name it in their dependencies. */
  name: string;
  version: string;
  description?: string;
  /** Plugins (by name) this one needs: they are initialised first; a missing one is an error. */
  dependencies?: string[];
  /** Among plugins whose dependencies allow either order, higher goes first. Default 0. */
  priority?: number;
  /** Checks `[plugins.load.<name>] config`; its output is `context.config`. */
  configSchema?: z.ZodType<Config>;
  init?(context: PluginContext<Config>): void | Promise<void>;
  tools?: Part<PluginTool[], Config>;
  contextProviders?: Part<ContextProvider[], Config>;
  evaluators?: Part<Evaluator[], Config>;
  services?: Part<PluginService[], Config>;
  events?: Part<EventHandlers, Config>;
  channels?: Part<PluginChannel<Config>[], Config>;
}

/** The channel contract a plugin's channel implements (`oxydra/plugin` re-exports it for plugins). */
export {
  type Channel,
  type ChannelAttachment,
  type ChannelButton,
  type ChannelButtonPress,
  type ChannelCapabilities,
  type ChannelFile,
  type ChannelMessage,
  ChannelRetryableError,
  type ChannelSendOptions,
  type ChannelTarget,
  type ChannelUpdate,
} from '@oxydra/types';

const PLUGIN_MARK = Symbol.for('oxydra.plugin');

export type Plugin<Config = Record<string, unknown>> = PluginDefinition<Config> & {
  readonly [PLUGIN_MARK]: true;
};

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Declares a plugin. The module that calls it exports the result as its default export. */
export function definePlugin<Config = Record<string, unknown>>(
  definition: PluginDefinition<Config>,
): Plugin<Config> {
  if (!NAME.test(definition.name)) {
    throw new TypeError(`plugin name "${definition.name}": use 1-64 letters, digits, ".", "_" or "-"`);
  }
  if (typeof definition.version !== 'string' || definition.version === '') {
    throw new TypeError(`plugin ${definition.name}: version is required`);
  }
  // Channels given as a list are checked here; a part made from the context, when it is opened.
  if (Array.isArray(definition.channels)) {
    for (const channel of definition.channels) {
      const problem = pluginChannelNameProblem(channel.name);
      if (problem) throw new TypeError(`plugin ${definition.name}: ${problem}`);
    }
  }
  return Object.freeze({ ...definition, [PLUGIN_MARK]: true as const });
}

/** A tool of a plugin, typed by its zod parameters. */
export function pluginTool<S extends z.ZodObject>(tool: PluginTool<S>): PluginTool {
  return tool as unknown as PluginTool;
}

export function isPlugin(value: unknown): value is Plugin<unknown> {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_MARK] === true
  );
}
