/**
 * The registry: the runtime's ToolExecutor. Every call goes through the same pipeline —
 * lookup → JSON parse error → argument validation → safety gate (approval) → timeout → execute →
 * truncate → scrub — and every failure comes back as an error result the model can act on. Only
 * cancellation of the run (the context's signal) throws.
 */

import { utf8Prefix } from '@oxydra/sandbox/detect';
import type {
  APPROVAL_MODES,
  Provenance,
  Tool,
  ToolContext,
  ToolExecutor,
  ToolImage,
  ToolInvocation,
  ToolOutcome,
  ToolResult,
  ToolSpec,
} from '@oxydra/types';
import { Cancelled, didYouMean, toolSpecOf } from '@oxydra/types';
import { isDefinedTool } from './define.js';
import { type HostPathMapping, type ScrubOptions, scrubText, scrubValue } from './scrub.js';
import { decideTainted, type TaintScreen } from './taint-gate.js';

export type ApprovalMode = (typeof APPROVAL_MODES)[number];

/** One decision on a privileged call: what, who decided, and the outcome. */
export interface ApprovalRecord {
  at: string;
  tool: string;
  /** The call in one line (e.g. the command), scrubbed like tool output. */
  summary: string;
  approved: boolean;
  /**
   * auto / deny: [tools] approval; user: the person asked; no_approver: nobody could be asked;
   * taint: the taint policy refused it outright.
   */
  by: 'auto' | 'deny' | 'user' | 'no_approver' | 'taint';
  /** Why it was asked when the taint policy asked (the content the call follows). */
  reason?: string;
  sessionId?: string;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 16_384;
/** The runtime's default turn_timeout_secs. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
/** How long a timed-out tool, its signal aborted, is given to stop before the answer goes back. */
const STOP_GRACE_MS = 1000;

export interface ToolRegistryOptions {
  /** What privileged tools need: `auto` runs them, `ask` asks ctx.approve, `deny` refuses. Default `ask`. */
  approval?: ApprovalMode;
  /** Cap on the text handed back to the model, suffix included. Default 16 KiB. */
  maxOutputBytes?: number;
  /** For tools without their own timeoutMs. Default 60 s. */
  defaultTimeoutMs?: number;
  /** Tool names offered and runnable (an agent's `tools` list); unset: all. */
  allow?: readonly string[];
  /** Literal values to redact from every output (the provider keys this process holds). */
  secrets?: readonly string[];
  /** Host paths shown to the model under other names, e.g. the workspace as `/shared`. */
  hostPaths?: readonly HostPathMapping[];
  /** Told every decision on a privileged call, for the audit log (awaited before the call goes on). */
  onApproval?: (record: ApprovalRecord) => unknown;
  /**
   * The caller's permissions, asked before any call runs (even of a tool this registry does
   * not offer): a string refuses the call with that message as the tool's error.
   */
  authorize?: (call: ToolInvocation, context: ToolContext) => string | undefined;
  /**
   * Awaited just before a tool that is not read-only runs, once it is allowed (the kernel
   * checkpoints the workspace there, so what the call changes can be undone).
   */
  beforeChange?: (tool: Pick<Tool, 'name' | 'safety'>, context: ToolContext) => Promise<unknown>;
  /** The taint policy, asked before a call whose context holds provenance (taint-gate.ts). */
  screen?: TaintScreen;
}

interface RawResult {
  content: string;
  isError: boolean;
  data?: unknown;
  images?: ToolImage[];
  provenance?: Provenance;
}

const failure = (content: string): RawResult => ({ content, isError: true });

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** "60", "2.5", "0.05": seconds without float noise. */
const seconds = (ms: number): string => String(Math.round(ms) / 1000);

function normalize(result: ToolResult | string): RawResult {
  if (typeof result === 'string') return { content: result, isError: false };
  const raw: RawResult = { content: String(result.content), isError: result.isError ?? false };
  if (result.data !== undefined) raw.data = result.data;
  if (result.images && result.images.length > 0) raw.images = result.images;
  if (result.provenance !== undefined) raw.provenance = result.provenance;
  return raw;
}

const delay = (ms: number): Promise<undefined> =>
  new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());

function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new Cancelled(`${what} cancelled`, { cause: signal.reason });
}

export class ToolRegistry implements ToolExecutor {
  readonly #tools = new Map<string, Tool>();
  readonly #approval: ApprovalMode;
  readonly #maxOutputBytes: number;
  readonly #defaultTimeoutMs: number;
  readonly #scrub: ScrubOptions;
  readonly #onApproval: ((record: ApprovalRecord) => unknown) | undefined;
  readonly #authorize: ToolRegistryOptions['authorize'];
  readonly #beforeChange: ToolRegistryOptions['beforeChange'];
  readonly #screen: TaintScreen | undefined;
  #specs: Map<string, ToolSpec> | undefined;

  constructor(tools: readonly Tool[], options: ToolRegistryOptions = {}) {
    const allow = options.allow ? new Set(options.allow) : undefined;
    for (const tool of tools) {
      if (this.#tools.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
      if (!allow || allow.has(tool.name)) this.#tools.set(tool.name, tool);
    }
    this.#approval = options.approval ?? 'ask';
    this.#maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    this.#scrub = { secrets: options.secrets ?? [], hostPaths: options.hostPaths ?? [] };
    this.#onApproval = options.onApproval;
    this.#authorize = options.authorize;
    this.#beforeChange = options.beforeChange;
    this.#screen = options.screen;
  }

  /**
   * The same spec objects on every call (the tools are fixed once the registry is built), so what
   * is derived from them per model call (token counts) is computed once and cached by identity.
   */
  specs(): ToolSpec[] {
    this.#specs ??= new Map([...this.#tools].map(([name, tool]) => [name, toolSpecOf(tool)]));
    return [...this.#specs.values()];
  }

  spec(name: string): ToolSpec | undefined {
    if (!this.#tools.has(name)) return undefined;
    this.specs();
    return this.#specs?.get(name);
  }

  async execute(call: ToolInvocation, context: ToolContext): Promise<ToolOutcome> {
    const started = performance.now();
    throwIfCancelled(context.signal, call.name);
    // The time a person takes to answer the approval is not the tool's duration.
    let waitedMs = 0;
    const approve = context.approve;
    const timed: ToolContext = approve
      ? {
          ...context,
          approve: async (request) => {
            const asked = performance.now();
            try {
              return await approve(request);
            } finally {
              waitedMs += performance.now() - asked;
            }
          },
        }
      : context;
    const raw = await this.#run(call, timed);
    const outcome: ToolOutcome = {
      content: scrubText(truncateOutput(raw.content, this.#maxOutputBytes), this.#scrub),
      isError: raw.isError,
      durationMs: Math.max(0, performance.now() - started - waitedMs),
    };
    if (raw.data !== undefined) outcome.data = scrubValue(raw.data, this.#scrub);
    if (raw.images) outcome.images = raw.images;
    if (raw.provenance !== undefined) outcome.provenance = raw.provenance;
    return outcome;
  }

  async #run(call: ToolInvocation, context: ToolContext): Promise<RawResult> {
    const denied = this.#authorize?.(call, context);
    if (denied !== undefined) return failure(denied);
    const tool = this.#tools.get(call.name);
    if (!tool) {
      const names = [...this.#tools.keys()];
      return failure(
        `Unknown tool "${call.name}"${didYouMean(call.name, names)}. Available tools: ${names.join(', ') || '(none)'}.`,
      );
    }
    if (call.parseError !== undefined) {
      return failure(
        `The arguments for ${tool.name} are not valid JSON: ${call.parseError}. ` +
          'Send the call again with the arguments as one JSON object.',
      );
    }

    let invoke = (ctx: ToolContext) => tool.execute(call.arguments, ctx);
    let summary = `${tool.name} ${JSON.stringify(call.arguments)}`;
    let args = call.arguments;
    if (isDefinedTool(tool)) {
      const checked = tool.validate(call.arguments);
      if (!checked.ok) return failure(checked.message);
      invoke = (ctx) => tool.run(checked.args, ctx);
      summary = tool.summarize(checked.args);
      // A defined tool's schema is a zod object: its parsed arguments are a plain record.
      if (typeof checked.args === 'object' && checked.args !== null)
        args = checked.args as Record<string, unknown>;
    }

    // One human answer covers both the taint policy's question and the privileged tier's.
    const verdict = context.provenance?.length
      ? this.#screen?.({ name: tool.name, arguments: args }, context)
      : undefined;
    if (verdict || tool.safety === 'privileged' || tool.needsApproval?.(call.arguments)) {
      const { refusal, by } =
        verdict && !(this.#approval === 'deny' && tool.safety === 'privileged')
          ? await decideTainted(
              verdict,
              { toolName: tool.name, arguments: call.arguments, summary, signal: context.signal },
              context,
              () => throwIfCancelled(context.signal, tool.name),
            )
          : await this.#approve(tool, call, summary, context);
      throwIfCancelled(context.signal, tool.name);
      await this.#onApproval?.({
        at: new Date().toISOString(),
        tool: tool.name,
        summary: scrubText(summary, this.#scrub),
        approved: refusal === undefined,
        by,
        ...(verdict ? { reason: scrubText(verdict.reason, this.#scrub) } : {}),
        ...(context.sessionId ? { sessionId: context.sessionId } : {}),
      });
      if (refusal !== undefined) return failure(refusal);
    }
    if (tool.safety !== 'read_only') await this.#beforeChange?.(tool, context);
    const result = await this.#invokeWithTimeout(tool, invoke, context);
    // What the result holds, as the tool declares it: the runtime's taint tracking reads it.
    const provenance = result.provenance ?? tool.provenance?.(args);
    return provenance ? { ...result, provenance } : result;
  }

  /** Who decided, and why not when the privileged call may not run. */
  async #approve(
    tool: Tool,
    call: ToolInvocation,
    summary: string,
    context: ToolContext,
  ): Promise<{ refusal?: string; by: ApprovalRecord['by'] }> {
    if (this.#approval === 'auto') return { by: 'auto' };
    if (this.#approval === 'deny')
      return { refusal: `${tool.name} is disabled by [tools] approval = "deny"`, by: 'deny' };
    if (!context.approve) {
      return {
        refusal:
          `${tool.name} needs approval and nobody can give it here (not interactive). ` +
          'To allow privileged tools, run with --yes or set [tools] approval = "auto".',
        by: 'no_approver',
      };
    }
    let approved: boolean;
    try {
      approved = await context.approve({
        toolName: tool.name,
        arguments: call.arguments,
        summary,
        signal: context.signal,
      });
    } catch (error) {
      throwIfCancelled(context.signal, tool.name);
      return {
        refusal: `${tool.name} was not approved: asking for approval failed: ${messageOf(error)}`,
        by: 'user',
      };
    }
    throwIfCancelled(context.signal, tool.name);
    return approved
      ? { by: 'user' }
      : { refusal: `The user declined to run ${tool.name}: ${summary}`, by: 'user' };
  }

  /**
   * Runs the tool with its own abort signal, aborted on the run's cancellation or on timeout. The
   * registry answers at once in both cases instead of waiting for a tool that ignores its signal.
   */
  async #invokeWithTimeout(
    tool: Tool,
    invoke: (context: ToolContext) => Promise<ToolResult | string>,
    context: ToolContext,
  ): Promise<RawResult> {
    const timeoutMs = tool.timeoutMs ?? this.#defaultTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onCancel: (() => void) | undefined;

    type Ending = { kind: 'done'; result: RawResult } | { kind: 'timeout' } | { kind: 'cancelled' };
    const running: Promise<Ending> = Promise.resolve()
      .then(() => invoke({ ...context, signal: controller.signal }))
      .then(
        (result): Ending => ({ kind: 'done', result: normalize(result) }),
        (error): Ending =>
          context.signal.aborted
            ? { kind: 'cancelled' }
            : { kind: 'done', result: failure(`Tool execution failed: ${messageOf(error)}`) },
      );
    const timedOut = new Promise<Ending>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    });
    const cancelled = new Promise<Ending>((resolve) => {
      onCancel = () => resolve({ kind: 'cancelled' });
      context.signal.addEventListener('abort', onCancel, { once: true });
    });

    try {
      const ending = await Promise.race([running, timedOut, cancelled]);
      if (ending.kind === 'done') return ending.result;
      controller.abort(ending.kind === 'timeout' ? new Error('timed out') : context.signal.reason);
      throwIfCancelled(context.signal, tool.name);
      // A tool that honours its signal settles at once, so the answer can say what really
      // happened: a change already committed is reported as done, and "timed out" means the
      // tool made none (the file tools check the signal just before they commit). A tool that
      // ignores its signal gets the timeout answer after this short grace.
      const after = await Promise.race([running, delay(STOP_GRACE_MS), cancelled]);
      throwIfCancelled(context.signal, tool.name);
      if (after?.kind === 'done' && !after.result.isError) return after.result;
      return failure(`${tool.name} timed out after ${seconds(timeoutMs)} s`);
    } finally {
      clearTimeout(timer);
      if (onCancel) context.signal.removeEventListener('abort', onCancel);
    }
  }
}

/** Byte caps on text that never split a UTF-8 character. */

export function truncationSuffix(originalBytes: number): string {
  return `\n[output truncated — original size: ${originalBytes} bytes]`;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, the suffix included, so the model knows how much
 * it did not see. Text within the cap is returned unchanged.
 */
export function truncateOutput(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const suffix = truncationSuffix(bytes.length);
  const room = maxBytes - Buffer.byteLength(suffix, 'utf8');
  return utf8Prefix(bytes, room).toString('utf8') + suffix;
}
