/**
 * `oxydra shell-daemon --socket PATH` (hidden): the guest-side shell RPC on a Unix socket, for a
 * shell sidecar (a container or VM beside the runtime guest). Runs until SIGTERM or SIGINT,
 * then kills running commands and removes the socket. Commands run unsandboxed: it belongs
 * inside an isolated guest, never on a shared host.
 */
import { resolve } from 'node:path';
import { startShellDaemon } from '@oxydra/shell-daemon';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';

export async function runShellDaemon(flags: { socket?: string }): Promise<number> {
  if (!flags.socket) {
    throw new UsageError('oxydra shell-daemon needs --socket PATH', {
      hint: 'e.g. --socket /run/oxydra/shell.sock',
    });
  }
  const daemon = await startShellDaemon({ socketPath: resolve(flags.socket) });
  // Listened for before the "listening" line, which a supervisor may answer with SIGTERM at once.
  const stopped = new Promise<string>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  process.stderr.write(`shell daemon listening on ${daemon.socketPath}\n`);
  const signal = await stopped;
  await daemon.close();
  process.stderr.write(`shell daemon stopped (${signal})\n`);
  return EXIT_OK;
}
