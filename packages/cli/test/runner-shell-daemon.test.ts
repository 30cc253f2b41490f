/**
 * The hidden `oxydra shell-daemon --socket PATH` (a shell sidecar's entry point) through the real
 * binary: a client runs a command over the socket; SIGTERM stops it and removes the socket.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectShellDaemon } from '@oxydra/shell-daemon';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

describe('oxydra shell-daemon', () => {
  it('serves the shell protocol on its socket until SIGTERM, then removes the socket', async () => {
    sandbox = new CliSandbox();
    const socket = join(sandbox.root, 'shell.sock');
    const child = spawn(process.execPath, [OXYDRA_BIN, 'shell-daemon', '--socket', socket], {
      cwd: sandbox.workspace,
      env: sandbox.env,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // The file appears at bind(), a moment before listen() (ECONNREFUSED once on a loaded CI
      // machine): connect until the daemon answers.
      const client = await pollUntil(
        () => (existsSync(socket) ? connectShellDaemon(socket).catch(() => undefined) : undefined),
        'the daemon to listen on its socket',
        { timeoutMs: 15_000 },
      );
      try {
        const result = await client.run('echo out; echo err >&2', { cwd: sandbox.workspace });
        expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n' });
      } finally {
        client.close();
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(socket)).toBe(false);
      expect(stderr).toContain('shell daemon stopped (SIGTERM)');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('needs --socket', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('shell-daemon');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('oxydra shell-daemon needs --socket PATH');
  });
});
