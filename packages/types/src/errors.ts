/**
 * Oxydra's error hierarchy. Every error carries a stable `code` that tests, the CLI's exit
 * codes, JSON output and gateway error frames rely on; messages are for people and may change.
 * Messages never contain secrets: callers name a credential's source, never its value.
 */

export type ErrorCode =
  | 'provider_error'
  | 'tool_error'
  | 'budget_exceeded'
  | 'cancelled'
  | 'config_error'
  | 'usage_error'
  | 'internal_error';

export class OxydraError extends Error {
  readonly code: ErrorCode;
  /** The fix, as one line a user can act on ("set OPENAI_API_KEY or run `oxydra init`"). */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.hint !== undefined) this.hint = options.hint;
  }

  /** A plain object for JSON output and protocol frames. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      name: this.name,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

export type ProviderErrorKind =
  | 'auth'
  | 'rate_limited'
  | 'overloaded'
  | 'context_overflow'
  | 'bad_request'
  | 'transport';

/** Kinds worth retrying with backoff; the others fail at once. */
export const RETRIABLE_PROVIDER_ERROR_KINDS: ReadonlySet<ProviderErrorKind> = new Set([
  'rate_limited',
  'overloaded',
  'transport',
]);

export interface ProviderErrorOptions {
  kind: ProviderErrorKind;
  provider: string;
  model?: string;
  status?: number;
  /** Server-requested wait before retrying, from retry-after / retry-after-ms headers or the body. */
  retryAfterMs?: number;
  /** True when part of the answer had already streamed: retrying would duplicate output. */
  partialOutput?: boolean;
  /** How many attempts the reliability policy made before giving up (unset: one, or not known). */
  attempts?: number;
  cause?: unknown;
  hint?: string;
}

export class ProviderError extends OxydraError {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly model?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly partialOutput: boolean;
  readonly attempts?: number;

  constructor(message: string, options: ProviderErrorOptions) {
    super('provider_error', message, { cause: options.cause, hint: options.hint });
    this.kind = options.kind;
    this.provider = options.provider;
    if (options.model !== undefined) this.model = options.model;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.partialOutput = options.partialOutput ?? false;
    if (options.attempts !== undefined) this.attempts = options.attempts;
  }

  get retriable(): boolean {
    return !this.partialOutput && RETRIABLE_PROVIDER_ERROR_KINDS.has(this.kind);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      kind: this.kind,
      provider: this.provider,
      ...(this.model ? { model: this.model } : {}),
      ...(this.status ? { status: this.status } : {}),
      retriable: this.retriable,
    };
  }
}

export class ToolError extends OxydraError {
  readonly toolName: string;
  constructor(toolName: string, message: string, options?: { cause?: unknown; hint?: string }) {
    super('tool_error', message, options);
    this.toolName = toolName;
  }
}

export type BudgetKind = 'turns' | 'cost' | 'tokens' | 'wall_time' | 'repeated_failure';

export class BudgetExceeded extends OxydraError {
  readonly budget: BudgetKind;
  readonly limit: number;
  readonly used: number;
  constructor(budget: BudgetKind, limit: number, used: number, message?: string) {
    super('budget_exceeded', message ?? `${budget} budget exceeded: used ${used} of ${limit}`);
    this.budget = budget;
    this.limit = limit;
    this.used = used;
  }
}

export class Cancelled extends OxydraError {
  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super('cancelled', message, options);
  }
}

/** Where in which file a configuration problem is. */
export interface ConfigErrorLocation {
  /** File path, or a description of the source such as "environment variable OXYDRA__RUNTIME__MAX_TURNS". */
  source?: string;
  /** Dotted key path, e.g. "runtime.context_budget.trigger_ratio". */
  keyPath?: string;
  line?: number;
  column?: number;
  /**
   * The offending line with a caret under the column (a TOML syntax error), secrets masked: the
   * CLI prints it under the error; one-line reports (doctor, --json) leave it out.
   */
  excerpt?: string;
}

export class ConfigError extends OxydraError {
  readonly location: ConfigErrorLocation;
  constructor(
    message: string,
    location: ConfigErrorLocation = {},
    options?: { cause?: unknown; hint?: string },
  ) {
    super('config_error', message, options);
    this.location = location;
  }
}

/** Several configuration problems found in one pass, reported together. */
export class ConfigErrors extends ConfigError {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    const first = errors[0];
    super(
      errors.length === 1 && first
        ? first.message
        : `${errors.length} configuration errors:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`,
      first?.location ?? {},
      // One problem keeps its fix; several are each printed with their own.
      errors.length === 1 && first?.hint !== undefined ? { hint: first.hint } : undefined,
    );
    this.errors = errors;
  }
}

/** A command-line mistake: wrong flag, missing argument. Exit code 2. */
export class UsageError extends OxydraError {
  constructor(message: string, options?: { hint?: string }) {
    super('usage_error', message, options);
  }
}

/**
 * The fix named when Oxydra cannot write where it must (the workspace's state, a file the CLI
 * writes): here, in the lowest layer, so the CLI's error path says it without loading the kernel.
 */
export const WRITE_FIX = 'run Oxydra in a folder you can write to, or fix its permissions or mount';

export function isOxydraError(value: unknown): value is OxydraError {
  return value instanceof OxydraError;
}
