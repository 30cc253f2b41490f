/**
 * defineTool: one zod object schema gives a tool both its JSON Schema (what the model sees) and
 * its argument validation (what the registry enforces), so the two can never drift apart. A
 * tool's code may stay out of start-up: `load` imports it at the first call (see core/catalog.ts),
 * and its schema too: `parameters` may be a function that builds it, called at the first
 * validation or the first read of the JSON Schema (zod builds each object schema in ~0.1 ms, and
 * a gateway start makes ~20 tools it never calls before it serves).
 */
import type { JsonSchema, SafetyTier, Tool, ToolContext, ToolResult } from '@oxydra/types';
import { ToolError } from '@oxydra/types';
import { z } from 'zod';

/** Any zod object schema: strict, loose or stripping. */
export type ObjectSchema = z.ZodObject<z.ZodRawShape, z.core.$ZodObjectConfig>;

/** What one call of a tool does, given its parsed arguments. */
export type ToolRun<A> = (args: A, context: ToolContext) => Promise<ToolResult | string>;

interface ToolDescription<S extends ObjectSchema> {
  name: string;
  /** Written for the model: what the tool does, its limits, and how to use it well. */
  description: string;
  /** The schema, or a function that builds it when first needed (then kept). */
  parameters: S | (() => S);
  safety: SafetyTier;
  timeoutMs?: number;
  /** Offered only when a tool list names it (see Tool.onRequest). */
  onRequest?: boolean;
  /** One line for approval prompts (e.g. the shell command); defaults to `name {json args}`. */
  summarize?: (args: z.output<S>) => string;
  /** What a call's result holds, for taint tracking (see Tool.provenance). */
  provenance?: Tool['provenance'];
}

/**
 * The description, with the code as `execute`, or as `load`: the implementation's module
 * imported at the first call (then kept), for a tool most runs offer but never call.
 */
export type ToolDefinition<S extends ObjectSchema> = ToolDescription<S> &
  (
    | { execute: ToolRun<z.output<S>>; load?: never }
    | { load: () => Promise<ToolRun<z.output<S>>>; execute?: never }
  );

export type Validation<A> = { ok: true; args: A } | { ok: false; message: string };

/**
 * A Tool that also exposes its validator, so the registry validates once, reports zod's messages
 * itself, and then runs the tool on the parsed (defaulted, transformed) arguments. Parsing twice
 * would break schemas whose transforms are not idempotent.
 */
export interface DefinedTool<A = unknown> extends Tool {
  validate(args: Record<string, unknown>): Validation<A>;
  run(args: A, context: ToolContext): Promise<ToolResult | string>;
  summarize(args: A): string;
}

export function defineTool<S extends ObjectSchema>(definition: ToolDefinition<S>): DefinedTool<z.output<S>> {
  const {
    name,
    description,
    parameters: given,
    safety,
    timeoutMs,
    onRequest,
    summarize,
    provenance,
  } = definition;
  type Args = z.output<S>;
  const execute = definition.execute ?? atFirstCall(name, definition.load);
  let built: S | undefined;
  const schema = (): S => {
    built ??= typeof given === 'function' ? given() : given;
    return built;
  };
  const validate = (args: Record<string, unknown>): Validation<Args> => {
    const parsed = schema().safeParse(args);
    if (parsed.success) return { ok: true, args: parsed.data };
    return { ok: false, message: `Invalid arguments for ${name}: ${formatIssues(parsed.error.issues)}` };
  };
  let parameters: JsonSchema | undefined;
  const tool: DefinedTool<Args> = {
    name,
    description,
    // Converted when first read (~0.5 ms a tool): a tool that is registered but not offered
    // (on request, outside an allowlist) never pays for it.
    get parameters() {
      parameters ??= toJsonSchema(schema());
      return parameters;
    },
    safety,
    validate,
    run: (args, context) => execute(args, context),
    summarize: (args) => (summarize ? summarize(args) : `${name} ${JSON.stringify(args)}`),
    // Called directly (not through the registry), the tool still refuses bad arguments.
    async execute(args, context) {
      const checked = validate(args);
      if (!checked.ok) throw new ToolError(name, checked.message);
      return execute(checked.args, context);
    },
  };
  if (timeoutMs !== undefined) tool.timeoutMs = timeoutMs;
  if (onRequest === true) tool.onRequest = true;
  if (provenance) tool.provenance = provenance;
  return tool;
}

/**
 * The implementation loaded by the first call and kept. A failed import (a broken install) is
 * the call's error, naming the tool, and the next call tries again.
 */
function atFirstCall<A>(name: string, load: () => Promise<ToolRun<A>>): ToolRun<A> {
  let loading: Promise<ToolRun<A>> | undefined;
  return async (args, context) => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ToolError(name, `${name} could not load its code (${reason}); reinstall Oxydra`, {
        cause: error,
      });
    });
    return (await loading)(args, context);
  };
}

export function isDefinedTool(tool: Tool): tool is DefinedTool {
  const candidate = tool as Partial<DefinedTool>;
  return typeof candidate.validate === 'function' && typeof candidate.run === 'function';
}

/**
 * The schema of the arguments the model sends (zod's "input" side: fields with defaults are
 * optional), without `$schema`, which provider APIs reject or ignore, and without the ±2^53-1
 * bounds zod gives every `.int()`: they tell the model nothing and are sent on every call (zod
 * still enforces them).
 */
function toJsonSchema(schema: ObjectSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  }) as JsonSchema;
  return rest;
}

/** `old_text: expected string, received undefined; limit: too small: expected number to be >0`. */
function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const message = issue.message.replace(/^Invalid input: /, '');
      return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${message}` : message;
    })
    .join('; ');
}
