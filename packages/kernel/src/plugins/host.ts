/**
 * The plugin host: initialises the loaded plugins in dependency order and runs their parts —
 * tools (through the registry like any tool), context providers (in parallel before each
 * model call, each within [plugins] context_timeout_ms), evaluators (after each turn, in the
 * background), services (started and stopped with the kernel) and event handlers. Whatever a
 * plugin throws is contained: reported on the warning line, audited as `plugin_error`, and
 * the agent goes on (a plugin whose init fails is left out whole).
 */
import type {
  ContextProvider,
  Evaluator,
  EventHandlers,
  PluginChannel,
  PluginContext,
  PluginEvent,
  PluginService,
  PluginTool,
  TurnOutcome,
} from '@oxydra/plugin';
import type { ContextHook } from '@oxydra/runtime';
import type { Channel, Message, Tool, ToolSource, ToolSourceHealth } from '@oxydra/types';
import type { WorkspaceMemory } from '../assemble/memory.js';
import type { KernelAudit } from '../services/audit/audit-log.js';
import type { LoadedPlugin } from './load.js';
import { pluginContext } from './plugin-context.js';
import { pluginTools } from './plugin-tools.js';

export interface PluginHostOptions {
  workspace: string;
  audit: Pick<KernelAudit, 'recordLater'>;
  warn: (message: string) => void;
  memory: WorkspaceMemory | undefined;
  contextTimeoutMs: number;
  evaluatorTimeoutMs: number;
}

/** Who a model call or turn is for. */
export interface AgentScope {
  agentId: string;
  agent: string;
  sessionId?: string;
  userId?: string;
}

interface Running {
  loaded: LoadedPlugin;
  failed?: string;
  tools: Tool[];
  providers: ContextProvider[];
  evaluators: Evaluator[];
  services: PluginService[];
  events: EventHandlers;
  channels: PluginChannel<unknown>[];
  context?: PluginContext<unknown>;
}

/** A channel a loaded plugin provides, for `oxydra channels run` to open when configured. */
export interface PluginChannelOffer {
  /** The plugin providing it. */
  plugin: string;
  name: string;
  /** Calls the plugin's open() with its context; `senderIds` are the listed senders' ids. */
  open(senderIds: string[]): Promise<Channel>;
}

/** What `oxydra plugins list|info` shows of a loaded plugin. */
export interface PluginInfo {
  name: string;
  version: string;
  description?: string;
  /** The module it was loaded from. */
  file: string;
  dependencies: string[];
  priority: number;
  tools: string[];
  contextProviders: string[];
  evaluators: string[];
  services: string[];
  events: string[];
  channels: string[];
  health: ToolSourceHealth;
}

/** A provider's text is cut here: context is a hint, not a dump. */
const MAX_PROVIDED_CHARS = 8_000;

export class PluginHost {
  readonly #running: Running[];
  #ready: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #evaluations = new Set<Promise<void>>();

  constructor(
    loaded: readonly LoadedPlugin[],
    private readonly options: PluginHostOptions,
  ) {
    this.#running = loaded.map((plugin) => ({
      loaded: plugin,
      tools: [],
      providers: [],
      evaluators: [],
      services: [],
      events: {},
      channels: [],
    }));
  }

  get names(): string[] {
    return this.#running.map((running) => running.loaded.name);
  }

  /** The loaded plugins in initialisation order (start() first for their parts). */
  describe(): PluginInfo[] {
    return this.#running.map((running) => {
      const { plugin, file, dependencies, priority, name } = running.loaded;
      return {
        name,
        version: plugin.version,
        ...(plugin.description !== undefined ? { description: plugin.description } : {}),
        file,
        dependencies,
        priority,
        tools: running.tools.map((tool) => tool.name),
        contextProviders: running.providers.map((provider) => provider.name),
        evaluators: running.evaluators.map((evaluator) => evaluator.name),
        services: running.services.map((service) => service.name),
        events: Object.keys(running.events),
        channels: running.channels.map((channel) => channel.name),
        health: this.#health(running),
      };
    });
  }

  /** One tool source per plugin: its tools and its health; starting any starts them all, in order. */
  sources(): ToolSource[] {
    return this.#running.map((running) => ({
      name: `plugin:${running.loaded.name}`,
      tools: () => running.tools,
      start: () => this.start(),
      close: () => this.close(),
      health: () => this.#health(running),
    }));
  }

  /** Initialises every plugin in order, then starts their services. */
  start(): Promise<void> {
    this.#ready ??= this.#start();
    return this.#ready;
  }

  async #start(): Promise<void> {
    for (const running of this.#running) {
      const { plugin, name } = running.loaded;
      const context = pluginContext(running.loaded, this.options);
      try {
        await plugin.init?.(context as PluginContext<unknown>);
        const part = <T>(value: T | ((c: PluginContext<unknown>) => T) | undefined, empty: T): T =>
          typeof value === 'function'
            ? (value as (c: PluginContext<unknown>) => T)(context as PluginContext<unknown>)
            : (value ?? empty);
        running.tools = pluginTools(name, part<PluginTool[]>(plugin.tools, []), (error, what) =>
          this.#report(name, what, error),
        );
        running.providers = part<ContextProvider[]>(plugin.contextProviders, []);
        running.evaluators = part<Evaluator[]>(plugin.evaluators, []);
        running.services = part<PluginService[]>(plugin.services, []);
        running.events = part<EventHandlers>(plugin.events, {});
        running.channels = part<PluginChannel<unknown>[]>(plugin.channels, []);
        running.context = context as PluginContext<unknown>;
      } catch (error) {
        running.failed = `init failed: ${messageOf(error)}`;
        running.tools = [];
        running.channels = [];
        this.#report(name, 'init', error);
        continue;
      }
      for (const service of running.services) {
        try {
          await service.start();
        } catch (error) {
          this.#report(name, `service ${service.name}`, error);
        }
      }
    }
  }

  /** The channels the plugins provide (after their init; a plugin whose init failed offers none). */
  async channels(): Promise<PluginChannelOffer[]> {
    await this.start();
    return this.#running.flatMap((running) => {
      const context = running.context;
      if (running.failed || !context) return [];
      return running.channels.map((channel) => ({
        plugin: running.loaded.name,
        name: channel.name,
        open: async (senderIds: string[]) => channel.open({ ...context, channel: channel.name, senderIds }),
      }));
    });
  }

  /** The context hook of one agent's runs, or undefined when no plugin provides context. */
  contextHook(scope: AgentScope): ContextHook | undefined {
    const providers = this.#running.flatMap((running) =>
      running.failed ? [] : running.providers.map((provider) => ({ plugin: running.loaded.name, provider })),
    );
    if (providers.length === 0) return undefined;
    return async ({ messages, turn }, signal) => {
      // One listener on the run's signal for all providers (one each would pass Node's limit
      // of ten listeners), and a controller per provider for its own time budget.
      const controllers = providers.map(() => new AbortController());
      const abortAll = () => {
        for (const controller of controllers) controller.abort(signal.reason);
      };
      signal.addEventListener('abort', abortAll, { once: true });
      try {
        const answers = await Promise.all(
          providers.map(({ plugin, provider }, i) =>
            this.#provide(plugin, provider, controllers[i]!, signal, {
              ...scope,
              turn,
              messages,
              signal: controllers[i]!.signal,
              workspace: this.options.workspace,
            }),
          ),
        );
        return answers.filter((message): message is Message => message !== undefined);
      } finally {
        signal.removeEventListener('abort', abortAll);
      }
    };
  }

  async #provide(
    plugin: string,
    provider: ContextProvider,
    controller: AbortController,
    run: AbortSignal,
    input: Parameters<ContextProvider['get']>[0],
  ): Promise<Message | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((done) => {
      timer = setTimeout(() => done('late'), this.options.contextTimeoutMs);
    });
    try {
      const text = await Promise.race([Promise.resolve().then(() => provider.get(input)), late]);
      if (text === 'late') {
        controller.abort(new Error('over its time budget'));
        this.#report(
          plugin,
          `context provider ${provider.name}`,
          new Error(`no answer within ${this.options.contextTimeoutMs} ms; left out of this call`),
        );
        return undefined;
      }
      if (typeof text !== 'string' || text.trim() === '') return undefined;
      const body = text.length > MAX_PROVIDED_CHARS ? `${text.slice(0, MAX_PROVIDED_CHARS)}\n[...]` : text;
      return { role: 'system', content: `Context from ${plugin}/${provider.name}:\n${body.trim()}` };
    } catch (error) {
      if (!run.aborted) this.#report(plugin, `context provider ${provider.name}`, error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs every evaluator on a finished turn, in the background (the reply is not held up). */
  afterTurn(outcome: Omit<TurnOutcome, 'signal' | 'workspace'>): void {
    for (const running of this.#running) {
      if (running.failed) continue;
      for (const evaluator of running.evaluators) {
        const controller = new AbortController();
        const timer = setTimeout(
          () => controller.abort(new Error('over evaluator_timeout_ms')),
          this.options.evaluatorTimeoutMs,
        );
        timer.unref();
        const work = Promise.resolve()
          .then(() =>
            evaluator.run({ ...outcome, workspace: this.options.workspace, signal: controller.signal }),
          )
          .catch((error: unknown) => this.#report(running.loaded.name, `evaluator ${evaluator.name}`, error))
          .finally(() => {
            clearTimeout(timer);
            this.#evaluations.delete(work);
          });
        this.#evaluations.add(work);
      }
    }
  }

  /** Evaluations still running (tests and close wait for them). */
  settled(): Promise<void> {
    return Promise.all([...this.#evaluations]).then(() => undefined);
  }

  /** Hands a kernel event to the handlers of its type and of "*"; never throws, never waits. */
  onEvent(event: PluginEvent): void {
    for (const running of this.#running) {
      if (running.failed) continue;
      for (const key of [event.event.type, '*']) {
        const handler = running.events[key];
        if (!handler) continue;
        Promise.resolve()
          .then(() => handler(event))
          .catch((error: unknown) => this.#report(running.loaded.name, `event handler ${key}`, error));
      }
    }
  }

  get handlesEvents(): boolean {
    return this.#running.some((running) => Object.keys(running.events).length > 0);
  }

  /** Waits a little for evaluations, then stops the services, last started first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#ready?.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.settled(),
        new Promise((done) => {
          timer = setTimeout(done, 2_000);
        }),
      ]);
      clearTimeout(timer);
      for (const running of [...this.#running].reverse()) {
        for (const service of [...running.services].reverse()) {
          try {
            await service.stop();
          } catch (error) {
            this.#report(running.loaded.name, `service ${service.name} stop`, error);
          }
        }
      }
    })();
    return this.#closing;
  }

  #health(running: Running): ToolSourceHealth {
    const name = `plugin:${running.loaded.name}`;
    if (running.failed) return { name, ok: false, detail: running.failed };
    const problems: string[] = [];
    const parts: string[] = [];
    for (const service of running.services) {
      try {
        const health = service.health?.() ?? { ok: true, detail: 'running' };
        (health.ok ? parts : problems).push(`${service.name}: ${health.detail}`);
      } catch (error) {
        problems.push(`${service.name}: health check failed: ${messageOf(error)}`);
      }
    }
    const summary = `${running.tools.length} tool(s), ${running.providers.length} context provider(s), ${running.evaluators.length} evaluator(s)`;
    return problems.length > 0
      ? { name, ok: false, detail: problems.join('; ') }
      : { name, ok: true, detail: [summary, ...parts].join('; ') };
  }

  #report(plugin: string, part: string, error: unknown): void {
    const message = messageOf(error);
    this.options.warn(`plugin ${plugin}: ${part}: ${message}`);
    try {
      this.options.audit.recordLater(
        `plugin:${plugin}`,
        'plugin_error',
        { part, message: message.slice(0, 500) },
        `plugin:${plugin}`,
      );
    } catch {
      // The audit chain is closed (the kernel is shutting down): the warning stands.
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
