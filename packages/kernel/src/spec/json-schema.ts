/**
 * The `json-schema:` criterion's validation, and the gateway's structured output (a client's
 * `response_format` schema against the agent's answer). The schema is the workspace's or a
 * client's and the data steered by whoever writes the prompt, so neither is trusted to be cheap or quiet: patterns run on RE2 in linear time and a
 * pattern RE2 cannot run fails the check (a backtracking `^(a+)+$` against "aaaa…!" would hold
 * the process, a whole gateway, for hours); `uniqueItems` is linear (Ajv's compares every pair);
 * refs are not inlined (a small schema naming a large definition many times would compile to
 * their product); Ajv's logger is off (it would write schema text to the terminal); and the
 * error text kept as evidence is bounded, since it quotes the schema's names. Even so a small
 * schema can cost exponential time (20 nested `anyOf`s of two refs each took 0.6 s, each two
 * more levels ~3 times as long), so compiling and validating run under a time limit: V8 stops
 * them at CHECK_TIMEOUT_MS (node:vm's timeout ends whatever runs beneath it, main-realm
 * functions included) and the criterion fails.
 */
import { runInNewContext } from 'node:vm';
import { linearRegExp, strictLinearRegExp, uniqueItemsKeyword } from '@oxydra/mcp/json-schema';
import { Ajv, type Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

export interface SchemaCheckOptions {
  /** How long compiling and validating may hold the process; default CHECK_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Draft 2020-12 (`prefixItems`, what zod emits) rather than draft-07. */
  draft2020?: boolean;
  /**
   * A `format` is ignored instead of failing the compile: for a caller whose clients send
   * formats as hints (OpenAI structured output) and who documents that formats are not checked.
   */
  ignoreFormats?: boolean;
  /**
   * A `pattern` RE2 cannot run in linear time (a lookaround, a backreference, a very large one) is
   * not checked instead of failing the compile, like an ignored format; never run by backtracking.
   */
  ignoreUnrunnablePatterns?: boolean;
}

/** Errors listed in a failure, and the characters kept of each (a name in it may be any length). */
const MAX_ERRORS = 5;
const MAX_ERROR_CHARS = 200;
/** How long one schema's compiling and validating may hold the process (a 4 MB file takes well under it). */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Ajv's logger: nothing reaches the terminal (its warnings quote the schema), and a `format`,
 * which Ajv without strict mode ignores with a warning, fails the compile instead: no formats are
 * defined here, and a check that passed it unchecked would pass work nobody checked.
 */
const quiet = {
  log: () => {},
  warn: (message: unknown) => {
    const text = String(message);
    if (text.startsWith('unknown format'))
      throw new Error(`${text.split(' ignored')[0]} is not checked here (no format is), so it cannot pass`);
  },
  error: () => {},
};

/**
 * One compiler per option set, kept (making one compiles Ajv's meta-schemas: ~60 ms) but emptied
 * of the checked schema after every check: one that kept them would keep every schema it ever
 * compiled (memory without end) and would refuse, or resolve `$ref`s to, a `$id` an earlier
 * (another client's) schema used. A check stopped by the time limit never reaches its cleanup,
 * so the compilers are then dropped (schemaErrors).
 */
const compilers = new Map<string, Ajv | Ajv2020>();

function compilerFor(options: SchemaCheckOptions): Ajv | Ajv2020 {
  const key = [options.draft2020, options.ignoreFormats, options.ignoreUnrunnablePatterns].join(' ');
  const kept = compilers.get(key);
  if (kept) return kept;
  const settings: Options = {
    allErrors: true,
    // strict off: a hand-written schema with an unknown keyword is still a usable check.
    strict: false,
    logger: quiet,
    inlineRefs: false,
    ...(options.ignoreFormats ? { validateFormats: false } : {}),
    code: {
      regExp: options.ignoreUnrunnablePatterns
        ? Object.assign(linearRegExp, { code: 'linearRegExp' })
        : Object.assign(strictLinearRegExp, { code: 'strictLinearRegExp' }),
    },
  };
  const ajv = options.draft2020 ? new Ajv2020(settings) : new Ajv(settings);
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(uniqueItemsKeyword);
  // Compiles the meta-schema now, outside any check's time limit: a cold process under load
  // took longer than a check's limit for it, and refused an ordinary schema as too costly.
  ajv.validateSchema({});
  compilers.set(key, ajv);
  return ajv;
}

function bounded(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

function check(ajv: Ajv | Ajv2020, schema: object, data: unknown): string[] {
  try {
    return checkWith(ajv, schema, data);
  } finally {
    // Every schema but Ajv's own meta-schemas, with its `$id`s and cached code.
    ajv.removeSchema();
  }
}

function checkWith(ajv: Ajv | Ajv2020, schema: object, data: unknown): string[] {
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new Error(
      `the schema cannot be used: ${bounded(error instanceof Error ? error.message : String(error))}`,
    );
  }
  // An async schema's validate answers a promise: truthy whatever the data (the check would
  // pass anything), its rejection unhandled (which ends a Node process). Never called.
  if ((validate as { $async?: unknown }).$async)
    throw new Error('the schema cannot be used: "$async" schemas are not checked here');
  if (validate(data) === true) return [];
  const errors = (validate.errors ?? [])
    .slice(0, MAX_ERRORS)
    .map((e) => bounded(`${e.instancePath || '/'} ${e.message ?? ''}`));
  // Not valid is never no errors (which would read as a pass).
  return errors.length > 0 ? errors : ['/ does not match'];
}

/**
 * Why `data` does not match `schema` (at most MAX_ERRORS lines), or [] when it does; throws
 * when the schema cannot be compiled or the check runs past `timeoutMs`.
 */
export function schemaErrors(schema: object, data: unknown, options: SchemaCheckOptions = {}): string[] {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  let errors: string[] = [];
  const ajv = compilerFor(options);
  try {
    runInNewContext(
      'check()',
      {
        check: () => {
          errors = check(ajv, schema, data);
        },
      },
      { timeout: timeoutMs },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      // Stopped mid-compile, a compiler may hold the schema's pieces: the next check makes new ones.
      compilers.clear();
      throw new Error(`the schema check ran past ${timeoutMs} ms and was stopped (the schema is too costly)`);
    }
    throw error;
  }
  return errors;
}
