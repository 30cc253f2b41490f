/**
 * Arguments checked against the tool's inputSchema before the call leaves the process, so a
 * model's mistake comes back at once as a message naming each problem instead of an opaque
 * server error. Draft 2020-12 schemas get Ajv2020, the rest (draft-07, the SDK's default) Ajv;
 * a schema Ajv cannot compile is not checked here (the server still checks it).
 */
import type { JsonSchema } from '@oxydra/types';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const options = { strict: false, allErrors: true, validateFormats: false, logger: false } as const;
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

/** One compiler per dialect for the process (compiling is the costly part, not the instance). */
function compilerFor(is2020: boolean): Ajv | Ajv2020 {
  if (is2020) {
    draft2020 ??= new Ajv2020(options);
    return draft2020;
  }
  draft07 ??= new Ajv(options);
  return draft07;
}

export type ArgumentCheck = (args: Record<string, unknown>) => string | undefined;

/** The schema the model is shown: the server's inputSchema without `$schema`, which provider APIs reject. */
export function modelParameters(inputSchema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = inputSchema;
  return { type: 'object', ...rest };
}

function describe(error: ErrorObject): string {
  const at = error.instancePath ? `"${error.instancePath.slice(1).replace(/\//g, '.')}"` : 'the arguments';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties')
    return `${at}: unknown property "${String(params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${at} must be one of ${JSON.stringify(params.allowedValues)}`;
  return `${at} ${error.message ?? 'is invalid'}`;
}

/** A checker for one tool, or undefined when its schema cannot be compiled. */
export function argumentCheck(toolName: string, inputSchema: JsonSchema): ArgumentCheck | undefined {
  const is2020 = typeof inputSchema.$schema === 'string' && inputSchema.$schema.includes('2020-12');
  let validate: ValidateFunction;
  try {
    const ajv = compilerFor(is2020);
    const { $schema: _ignored, $id: _id, ...schema } = inputSchema;
    validate = ajv.compile(schema);
  } catch {
    return undefined;
  }
  return (args) => {
    if (validate(args)) return undefined;
    const problems = [...new Set((validate.errors ?? []).map(describe))];
    return (
      `Invalid arguments for ${toolName}: ${problems.join('; ')}. ` +
      'Send the call again with arguments that match its parameters schema.'
    );
  };
}
