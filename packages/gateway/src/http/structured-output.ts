/**
 * Structured output (`response_format` / `text.format` json_object or json_schema) for an agent:
 * the agent is told, in a system message, to end with only a JSON value matching the schema; its
 * final model call's text is then parsed and validated (ajv). A valid value is the answer; an
 * invalid one fails the turn with `invalid_structured_output`, never passes as if it were valid.
 */
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { GatewayError } from '../errors.js';

export interface StructuredOutput {
  /** The instruction added to the conversation as a system message. */
  instruction: string;
  /** The JSON text of the answer, or an error line saying why it does not conform. */
  check(text: string): { ok: true; json: string } | { ok: false; message: string };
}

export type FormatRequest =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string | undefined; schema?: Record<string, unknown> | undefined };

// Draft 2020-12 (what zod and most clients emit); $schema is dropped so draft-07 schemas compile too.
// Made on the first request that asks for a schema: most gateways never see one, and the
// dialect's code would be idle memory.
let ajv: Promise<Ajv2020> | undefined;
function validator(): Promise<Ajv2020> {
  ajv ??= import('ajv/dist/2020.js').then(({ Ajv2020 }) => new Ajv2020({ strict: false, allErrors: false }));
  return ajv;
}

export async function structuredOutput(
  format: FormatRequest | null | undefined,
  param: string,
): Promise<StructuredOutput | undefined> {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    return {
      instruction:
        'Your final answer must be a single JSON object and nothing else: no prose, no Markdown code fences.',
      check: (text) => {
        const parsed = parseJson(text);
        if (!parsed.ok) return parsed;
        return typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)
          ? { ok: true, json: parsed.json }
          : { ok: false, message: 'the agent answered JSON that is not an object' };
      },
    };
  }
  const { $schema: _dialect, ...schema } = format.schema ?? {};
  let validate: ValidateFunction;
  try {
    validate = (await validator()).compile(schema);
  } catch (error) {
    throw new GatewayError(
      'invalid_request',
      `${param}: the JSON schema does not compile: ${(error as Error).message}`,
    );
  }
  return {
    instruction: `Your final answer must be a single JSON value that matches this JSON schema${format.name ? ` ("${format.name}")` : ''}, and nothing else: no prose, no Markdown code fences.\n${JSON.stringify(schema)}`,
    check: (text) => {
      const parsed = parseJson(text);
      if (!parsed.ok) return parsed;
      if (validate(parsed.value)) return { ok: true, json: parsed.json };
      const first = validate.errors?.[0];
      const where = first?.instancePath ? `${first.instancePath} ` : '';
      return {
        ok: false,
        message: `the agent's JSON does not match the schema: ${where}${first?.message ?? 'invalid'}`,
      };
    },
  };
}

/** The answer as JSON, tolerating one surrounding Markdown code fence (models add them). */
function parseJson(
  text: string,
): { ok: true; value: unknown; json: string } | { ok: false; message: string } {
  const json = text
    .trim()
    .replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/, '$1')
    .trim();
  try {
    return { ok: true, value: JSON.parse(json), json };
  } catch {
    return {
      ok: false,
      message: `the agent's final answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
    };
  }
}
