/**
 * How the CLI ends: exit 0 on success, 1 when the work failed, 2 for usage or configuration
 * mistakes. A user mistake prints one clear line (several for several config problems),
 * never a stack trace; OXYDRA_DEBUG=1 adds the stack for bug reports. Imported only when an
 * error happens: it loads @oxydra/types, which `--help` should not pay for.
 */

import {
  ConfigError,
  ConfigErrors,
  isOxydraError,
  UsageError,
  visibleControls,
  WRITE_FIX,
} from '@oxydra/types';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';

/** Conditions of this machine, not bugs: a file Oxydra may not write, a full disk. */
const FILE_SYSTEM_CAUSES: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  SQLITE_READONLY: 'the database is read-only',
};

function fileSystemProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  const cause = code !== undefined ? FILE_SYSTEM_CAUSES[code] : undefined;
  if (cause === undefined) return undefined;
  return `error: ${path !== undefined ? `cannot write ${path}: ` : ''}${cause} (${code})\n  hint: ${WRITE_FIX}`;
}

/**
 * A workspace database that is damaged or not a database (truncated, overwritten): this
 * machine's data, not a bug. The driver does not say which file; the hint names both.
 */
const DAMAGED_DATABASE = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

function damagedDatabase(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code !== 'string' || !DAMAGED_DATABASE.has(code)) return undefined;
  return `error: a database of this workspace is damaged: ${error.message.split('\n')[0]} (${code})\n  hint: restore .oxydra/memory.db or .oxydra/kernel.db from a backup, or move the damaged file aside (with its -wal and -shm files) to start a fresh one`;
}

function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return EXIT_USAGE;
  if (fileSystemProblem(error) !== undefined) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function formatError(error: unknown): string {
  if (error instanceof ConfigErrors && error.errors.length > 1) {
    return `error: ${error.errors.length} configuration problems:\n${error.errors.map((e) => `  - ${e.message}${e.hint ? `\n    hint: ${e.hint}` : ''}`).join('\n')}`;
  }
  if (isOxydraError(error)) {
    return `error: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`;
  }
  const fileSystem = fileSystemProblem(error) ?? damagedDatabase(error);
  if (fileSystem !== undefined) return fileSystem;
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message} (this looks like a bug in Oxydra; rerun with OXYDRA_DEBUG=1 and report the stack)`;
}

/**
 * The offending line of a TOML syntax error, with its caret, under the error's first line (its
 * controls are already written out, and its secrets masked, by the config package).
 */
function withExcerpt(error: unknown, text: string): string {
  const excerpt = error instanceof ConfigError ? error.location.excerpt : undefined;
  if (excerpt === undefined || (error instanceof ConfigErrors && error.errors.length > 1)) return text;
  const newline = text.indexOf('\n');
  const indented = excerpt.replace(/^/gm, '  ');
  return newline === -1
    ? `${text}\n${indented}`
    : `${text.slice(0, newline)}\n${indented}${text.slice(newline)}`;
}

/**
 * The error on stderr. A message often names what a cloned repository's files or a server
 * wrote (an unknown key, a bad value): every control in it is written out (`\x1b`), so it can
 * neither drive the terminal (a title, a clipboard write) nor hide itself, and our own line
 * structure (newlines, the hint's indent) stays. formatError stays exact for `--json` reports.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  stderr.write(`${visibleControls(withExcerpt(error, formatError(error)))}\n`);
  if (process.env.OXYDRA_DEBUG && error instanceof Error && error.stack)
    stderr.write(`${visibleControls(error.stack)}\n`);
  return exitCodeFor(error);
}
