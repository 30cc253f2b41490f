/**
 * How the CLI ends: exit 0 on success, 1 when the work failed, 2 for usage or configuration
 * mistakes. A user mistake prints one clear line (several for several config problems),
 * never a stack trace; OXYDRA_DEBUG=1 adds the stack for bug reports. Imported only when an
 * error happens: it loads @oxydra/types, which `--help` should not pay for.
 */
import { ConfigError, ConfigErrors, isOxydraError, UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function formatError(error: unknown): string {
  if (error instanceof ConfigErrors && error.errors.length > 1) {
    return `error: ${error.errors.length} configuration problems:\n${error.errors.map((e) => `  - ${e.message}`).join('\n')}`;
  }
  if (isOxydraError(error)) {
    return `error: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message} (this looks like a bug in Oxydra; rerun with OXYDRA_DEBUG=1 and report the stack)`;
}

export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  stderr.write(`${formatError(error)}\n`);
  if (process.env.OXYDRA_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return exitCodeFor(error);
}
