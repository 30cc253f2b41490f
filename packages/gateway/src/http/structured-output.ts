/**
 * Structured output (`response_format` / `text.format` json_object or json_schema) for an agent:
 * the agent is told, in a system message, to end with only a JSON value matching the schema; its
 * final model call's text is then parsed and validated (ajv). A valid value is the answer; an
 * invalid one fails the turn with `invalid_structured_output`, never passes as if it were valid.
 */
import { GatewayError } from '../errors.js';
import { schemaTooLarge } from './schema-cost.js';

export interface StructuredOutput {
  /** The instruction added to the conversation as a system message. */
  instruction: string;
  /**
   * Compiles the schema once (the costly part), throwing the client's 400 when it cannot be
   * used. Run once the caller holds its per-user turn slot (agent-turn.ts), never on arrival:
   * a user's many requests then wait their turn instead of each holding the event loop.
   */
  prepare(signal?: AbortSignal): Promise<void>;
  /**
   * The JSON text of the answer, or an error line saying why it does not conform. `signal`: the
   * request's, so a check whose client went away is dropped from the pool (schema-workers.ts).
   */
  check(
    text: string,
    signal?: AbortSignal,
  ): Promise<{ ok: true; json: string } | { ok: false; message: string }>;
}

export type FormatRequest =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string | undefined; schema?: Record<string, unknown> | undefined };

/**
 * The schema is the client's and the answer steered by the client's prompt, so both are checked
 * by the kernel's bounded checker (kernel/spec/json-schema.ts): a compiler per check (a shared one
 * kept every schema forever, and one client's `$id` refused or answered another's `$ref`),
 * patterns on RE2 (a backtracking `^(a+)+$` against "aaaa…!" held the whole gateway for hours),
 * an `$async` schema refused (its validate passed anything, and its rejection ended the process).
 * It runs in a worker thread (schema-workers.ts), never on the gateway's: a check past TIME_MS is
 * ended with its thread, as is one past HEAP_MB of memory. Draft 2020-12 (what zod and most clients
 * emit); `$schema` is dropped so draft-07 schemas compile too. `format` is a hint here, not
 * checked (as OpenAI's clients send it), and so is a pattern RE2 cannot run (zod's ipv6, emoji and
 * duration patterns): the client's library checks the answer again, and a 400 for them would turn
 * away ordinary zod schemas. A schema too large to compile or check cheaply is refused before any
 * of this (schema-cost.ts), and the compiling waits for the caller's turn slot (`prepare`).
 */
const CHECK = { draft2020: true, ignoreFormats: true, ignoreUnrunnablePatterns: true } as const;
const LIMITS = { timeMs: 1000, heapMb: 64, idleMs: 60_000 } as const;

// Loaded, and its threads started, on the first request that asks for a schema: most gateways
// never see one, and neither the gateway's start nor a plain turn pays for them.
let workers: Promise<import('./schema-workers.js').SchemaWorkers> | undefined;
const schemaCheck = async (
  schema: object,
  data: unknown,
  owner: string,
  signal: AbortSignal | undefined,
): Promise<string[]> => {
  workers ??= import('./schema-workers.js').then(({ SchemaWorkers }) => new SchemaWorkers(CHECK, LIMITS));
  return (await workers).check(schema, data, owner, signal);
};

export function structuredOutput(
  format: FormatRequest | null | undefined,
  param: string,
  /** The user asking: the checks' queue takes users in turn (schema-workers.ts). */
  owner: string,
): StructuredOutput | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    return {
      instruction:
        'Your final answer must be a single JSON object and nothing else: no prose, no Markdown code fences.',
      prepare: async () => {},
      check: async (text) => {
        const parsed = parseJson(text);
        if (!parsed.ok) return parsed;
        return typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)
          ? { ok: true, json: parsed.json }
          : { ok: false, message: 'the agent answered JSON that is not an object' };
      },
    };
  }
  const { $schema: _dialect, ...schema } = format.schema ?? {};
  // One linear walk, before any compiling: a schema too large to check cheaply never reaches Ajv.
  const tooLarge = schemaTooLarge(schema);
  if (tooLarge)
    throw new GatewayError('invalid_request', `${param}: the JSON schema is too large to check: ${tooLarge}`);
  let compiled = false;
  return {
    instruction: `Your final answer must be a single JSON value that matches this JSON schema${format.name ? ` ("${format.name}")` : ''}, and nothing else: no prose, no Markdown code fences.\n${JSON.stringify(schema)}`,
    prepare: async (signal) => {
      try {
        // Compiled once up front against a placeholder, so a schema that cannot be used is the
        // client's 400 now rather than a failed turn after the model ran.
        await schemaCheck(schema, null, owner, signal);
      } catch (error) {
        // Its client went away while it was compiled: the turn's cancel, not the schema's fault.
        if (signal?.aborted) throw signal.reason;
        throw new GatewayError(
          'invalid_request',
          `${param}: the JSON schema cannot be used: ${(error as Error).message.replace(/^the schema cannot be used: /, '')}`,
        );
      }
      compiled = true;
    },
    check: async (text, signal) => {
      if (!compiled)
        return { ok: false, message: "the agent's JSON was not checked: the schema was not compiled" };
      const parsed = parseJson(text);
      if (!parsed.ok) return parsed;
      let errors: string[];
      try {
        errors = await schemaCheck(schema, parsed.value, owner, signal);
      } catch (error) {
        return { ok: false, message: `the agent's JSON was not checked: ${(error as Error).message}` };
      }
      if (errors.length === 0) return { ok: true, json: parsed.json };
      return { ok: false, message: `the agent's JSON does not match the schema: ${errors[0]}` };
    },
  };
}

const FENCE = '```';

/**
 * The text inside one Markdown code fence around all of it (```` ``` ```` or ```` ```json ````,
 * then a line break), else the text. One pass: the regex this was
 * (/^```(?:json)?\s*\n([\s\S]*?)\n?```$/) backtracked over every split of the leading
 * whitespace, so an answer of "```", 200,000 line breaks and "a" (the client steers the answer)
 * held the gateway's event loop for 17 s (docs/security.md, G38).
 */
function withoutFence(text: string): string {
  if (text.length < 2 * FENCE.length + 1 || !text.startsWith(FENCE) || !text.endsWith(FENCE)) return text;
  const end = text.length - FENCE.length;
  let at = FENCE.length;
  if (text.startsWith('json', at)) at += 'json'.length;
  // Whitespace, of which at least one line break, up to the content (or the closing fence).
  let lineBreak = -1;
  for (; at < end && /\s/.test(text[at]!); at += 1) if (text[at] === '\n') lineBreak = at;
  return lineBreak < 0 ? text : text.slice(lineBreak + 1, end);
}

/** The answer as JSON, tolerating one surrounding Markdown code fence (models add them). */
function parseJson(
  text: string,
): { ok: true; value: unknown; json: string } | { ok: false; message: string } {
  const json = withoutFence(text.trim()).trim();
  try {
    return { ok: true, value: JSON.parse(json), json };
  } catch {
    return {
      ok: false,
      message: `the agent's final answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
    };
  }
}
