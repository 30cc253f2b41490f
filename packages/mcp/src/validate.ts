/**
 * Arguments checked against the tool's inputSchema before the call leaves the process, so a
 * model's mistake comes back at once as a message naming each problem instead of an opaque
 * server error. Draft 2020-12 schemas get Ajv2020, the rest (draft-07, the SDK's default) Ajv;
 * a schema Ajv cannot compile is not checked here (the server still checks it).
 *
 * The schema is the server's and the arguments the model's, so neither is trusted to be cheap:
 * patterns run on RE2 (linear-regexp.ts), `uniqueItems` in linear time (unique-items.ts), refs
 * are not inlined (a small schema referring many times to a large definition would compile to
 * code of the product of both), formats are not run, and a schema is compiled only when its
 * tool is first called: a server listing many tools costs no compiling at all. The same
 * compilers check the structured output of tools with an outputSchema (the SDK's client asks
 * through `schemaValidator`).
 */

import type { JsonSchemaType, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { JsonSchema } from '@oxydra/types';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { schemaProblem } from './limits.js';
import { linearRegExp } from './linear-regexp.js';
import { uniqueItemsKeyword } from './unique-items.js';

const options: Options = {
  strict: false,
  allErrors: true,
  validateFormats: false,
  logger: false,
  inlineRefs: false,
  // `code` names the engine in standalone code, which is never generated here.
  code: { regExp: Object.assign(linearRegExp, { code: 'linearRegExp' }) },
};
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;
let compilations = 0;

function withLinearKeywords<T extends Ajv | Ajv2020>(ajv: T): T {
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(uniqueItemsKeyword);
  return ajv;
}

/** One compiler per dialect for the process (compiling is the costly part, not the instance). */
function compilerFor(is2020: boolean): Ajv | Ajv2020 {
  if (is2020) {
    draft2020 ??= withLinearKeywords(new Ajv2020(options));
    return draft2020;
  }
  draft07 ??= withLinearKeywords(new Ajv(options));
  return draft07;
}

/** How many schemas this process compiled: a tool list costs none until its tools are called. */
export function schemaCompilations(): number {
  return compilations;
}

/** The compiled schema, or undefined when it cannot be compiled (it is then not checked here). */
function compile(inputSchema: JsonSchema): ValidateFunction | undefined {
  const is2020 = typeof inputSchema.$schema === 'string' && inputSchema.$schema.includes('2020-12');
  compilations++;
  try {
    const { $schema: _ignored, $id: _id, ...schema } = inputSchema;
    return compilerFor(is2020).compile(schema);
  } catch {
    return undefined;
  }
}

/** Compiles on the first use only; undefined ever after when it cannot be compiled. */
function lazily(schema: JsonSchema): () => ValidateFunction | undefined {
  let compiled: { validate: ValidateFunction | undefined } | undefined;
  return () => {
    compiled ??= { validate: compile(schema) };
    return compiled.validate;
  };
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
  if (error.keyword === 'uniqueItems') return `${at} must not have duplicate items`;
  return `${at} ${error.message ?? 'is invalid'}`;
}

/**
 * A checker for one tool; its schema is compiled on the first call. A schema that cannot be
 * compiled checks nothing (the server still checks the arguments).
 */
export function argumentCheck(toolName: string, inputSchema: JsonSchema): ArgumentCheck {
  const validator = lazily(inputSchema);
  return (args) => {
    const validate = validator();
    if (!validate || validate(args)) return undefined;
    const problems = [...new Set((validate.errors ?? []).map(describe))];
    return (
      `Invalid arguments for ${toolName}: ${problems.join('; ')}. ` +
      'Send the call again with arguments that match its parameters schema.'
    );
  };
}

/**
 * The SDK client's validator of structured tool output, on the same bounded compilers: the
 * SDK's default would compile every listed outputSchema at once and run its patterns on V8's
 * backtracking engine against what the server returns. A schema over `maxBytes` or
 * MAX_SCHEMA_DEPTH, or one that cannot be compiled, checks nothing.
 */
export function schemaValidator(maxBytes: number): jsonSchemaValidator {
  return {
    getValidator<T>(schema: JsonSchemaType) {
      const validator = lazily(schema as JsonSchema);
      let tooBig: boolean | undefined;
      return (input: unknown) => {
        tooBig ??= schemaProblem(schema, maxBytes, 'outputSchema') !== undefined;
        const validate = tooBig ? undefined : validator();
        if (!validate || validate(input)) return { valid: true, data: input as T, errorMessage: undefined };
        const problems = [...new Set((validate.errors ?? []).map(describe))];
        return { valid: false, data: undefined, errorMessage: problems.join('; ') };
      };
    },
  };
}
