/**
 * The mechanical checks. A `test:` command runs through the kernel's exec — the sandbox
 * shell_exec uses, with its hidden paths and clean environment, so a criterion cannot write
 * outside the workspace or read a secret any more than the agent could. `file:` and
 * `json-schema:` name workspace paths under the file tools' rules (inside the root, never
 * `.oxydra/`, nor the secret folders and the vault they refuse); the JSON Schema library loads
 * only when such a criterion is checked. A JSON file is read as file_read reads (no link
 * followed at the last step, a FIFO or device refused at once, at most MAX_JSON_BYTES), so a
 * path the model swaps after the check is not what gets read.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type PathPolicy, resolveWorkspacePath } from '@oxydra/tools';
import { openRegularFile, readCapped } from '@oxydra/tools/workspace-files';
import type { Criterion } from './directive.js';
import type { CriterionResult } from './record.js';
import type { SpecKernel } from './spec-kernel.js';

export type { CriterionResult } from './record.js';

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

function specialKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}

async function checkFile(kernel: SpecKernel, criterion: Extract<Criterion, { kind: 'file' }>) {
  try {
    const path = await resolveWorkspacePath(kernel.workspace, criterion.path, kernel.filePolicy);
    const info = await stat(path.real).catch(() => undefined);
    if (!info) return result(criterion, false, `${path.relative} does not exist`);
    // A FIFO, socket or device is no file however it is named: made in its place by the model,
    // it would otherwise pass "non-empty" (its size is 0, and only a regular file's was checked).
    if (!info.isFile() && !info.isDirectory())
      return result(criterion, false, `${path.relative} is not a regular file (${specialKind(info)})`);
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

/** What an open that failed says, in workspace terms (the fs message names the host path). */
function openProblem(error: unknown, shown: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new Error(`${shown} does not exist`);
  if (code === 'ELOOP') return new Error(`${shown} is a symbolic link or changed while it was read`);
  return code === undefined ? (error as Error) : new Error(`${shown} cannot be read (${code})`);
}

async function readJson(workspace: string, named: string, policy: PathPolicy): Promise<unknown> {
  const path = await resolveWorkspacePath(workspace, named, policy);
  const tooLarge = () => new Error(`${path.relative} is larger than ${MAX_JSON_BYTES} bytes`);
  let bytes: Buffer;
  try {
    const file = await openRegularFile(path, `${path.relative} is a folder`);
    try {
      if (file.info.size > MAX_JSON_BYTES) throw tooLarge();
      bytes = await readCapped(file.read, file.info.size, MAX_JSON_BYTES, tooLarge);
    } finally {
      file.close();
    }
  } catch (error) {
    throw openProblem(error, path.relative);
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new Error(`${path.relative} is not valid JSON`);
  }
}

async function checkJsonSchema(kernel: SpecKernel, criterion: Extract<Criterion, { kind: 'json-schema' }>) {
  try {
    const [data, schema] = await Promise.all([
      readJson(kernel.workspace, criterion.path, kernel.filePolicy),
      readJson(kernel.workspace, criterion.schema, kernel.filePolicy),
    ]);
    const { schemaErrors } = await import('./json-schema.js');
    const errors = schemaErrors(schema as object, data);
    if (errors.length === 0) return result(criterion, true, `${criterion.path} matches ${criterion.schema}`);
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
