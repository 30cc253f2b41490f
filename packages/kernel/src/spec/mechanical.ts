/**
 * The mechanical checks. A `test:` command runs through the kernel's exec — the sandbox
 * shell_exec uses, with its hidden paths and clean environment, so a criterion cannot write
 * outside the workspace or read a secret any more than the agent could. `file:` and
 * `json-schema:` name workspace paths under the file tools' rules (inside the root, never
 * `.oxydra/`); the JSON Schema library loads only when such a criterion is checked.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolveWorkspacePath } from '@oxydra/tools';
import type { Criterion } from './directive.js';
import type { SpecKernel } from './spec-kernel.js';

export interface CriterionResult {
  id: string;
  kind: Criterion['kind'];
  text: string;
  passed: boolean;
  /** Why it passed or failed: the command's exit and output tail, the file problem, the judge's reason. */
  detail: string;
}

/** What of a command's output a result keeps (the failing end of a test run). */
const OUTPUT_TAIL = 2000;
/** Larger JSON files are refused rather than parsed (a check, not a data pipeline). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

function result(criterion: Criterion, passed: boolean, detail: string): CriterionResult {
  return { id: criterion.id, kind: criterion.kind, text: criterion.text, passed, detail };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function checkCommand(
  kernel: SpecKernel,
  criterion: Extract<Criterion, { kind: 'test' }>,
  signal?: AbortSignal,
) {
  const exec = await kernel.service('exec');
  try {
    const run = await exec(criterion.command, signal ? { signal } : {});
    const tail = run.output.length > OUTPUT_TAIL ? `…${run.output.slice(-OUTPUT_TAIL)}` : run.output;
    const how = run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode}`;
    return result(
      criterion,
      run.exitCode === 0 && !run.timedOut,
      `${how}${tail.trim() ? `\n${tail.trimEnd()}` : ''}`,
    );
  } catch (error) {
    return result(criterion, false, `could not run the command: ${message(error)}`);
  }
}

async function checkFile(kernel: SpecKernel, criterion: Extract<Criterion, { kind: 'file' }>) {
  try {
    const path = await resolveWorkspacePath(kernel.workspace, criterion.path);
    const info = await stat(path.real).catch(() => undefined);
    if (!info) return result(criterion, false, `${path.relative} does not exist`);
    if (criterion.nonEmpty && info.isFile() && info.size === 0)
      return result(criterion, false, `${path.relative} is empty`);
    return result(
      criterion,
      true,
      `${path.relative} exists (${info.isDirectory() ? 'folder' : `${info.size} bytes`})`,
    );
  } catch (error) {
    return result(criterion, false, message(error));
  }
}

async function readJson(workspace: string, named: string): Promise<unknown> {
  const path = await resolveWorkspacePath(workspace, named);
  const info = await stat(path.real).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${path.relative} does not exist`);
  if (info.size > MAX_JSON_BYTES) throw new Error(`${path.relative} is larger than ${MAX_JSON_BYTES} bytes`);
  try {
    return JSON.parse(await readFile(path.real, 'utf8')) as unknown;
  } catch {
    throw new Error(`${path.relative} is not valid JSON`);
  }
}

async function checkJsonSchema(kernel: SpecKernel, criterion: Extract<Criterion, { kind: 'json-schema' }>) {
  try {
    const [data, schema] = await Promise.all([
      readJson(kernel.workspace, criterion.path),
      readJson(kernel.workspace, criterion.schema),
    ]);
    const { Ajv } = await import('ajv');
    // strict off: a hand-written schema with an unknown keyword is still a usable check.
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema as object);
    if (validate(data)) return result(criterion, true, `${criterion.path} matches ${criterion.schema}`);
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    return result(
      criterion,
      false,
      `${criterion.path} does not match ${criterion.schema}: ${errors.join('; ')}`,
    );
  } catch (error) {
    return result(criterion, false, message(error));
  }
}

/** The result of a mechanical criterion; undefined for one a model must judge. */
export async function checkMechanically(
  kernel: SpecKernel,
  criterion: Criterion,
  signal?: AbortSignal,
): Promise<CriterionResult | undefined> {
  switch (criterion.kind) {
    case 'test':
      return checkCommand(kernel, criterion, signal);
    case 'file':
      return checkFile(kernel, criterion);
    case 'json-schema':
      return checkJsonSchema(kernel, criterion);
    case 'judge':
      return undefined;
  }
}
