/**
 * A daemon's socket (the runner's control socket, the shell daemon) is owner-only from the
 * moment it exists. Before, it was made with the process's umask and chmod-ed after listen: in
 * between, under umask 0 in a world-writable folder, another uid connected. Looked at when the
 * server starts listening (its 'listening' event, before listenOnUnixSocket's own chmod), and
 * as root also connected to then by uid 65534, through setpriv and perl.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOnUnixSocket } from '../src/index.js';

const AS_NOBODY = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/perl');
/** Connects to the socket as uid 65534 and prints "connected" or the error. */
const CONNECT =
  'use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]); print $s ? "connected" : "refused: $!";';

function connectAsNobody(socket: string): string {
  const result = spawnSync(
    '/usr/bin/setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/perl', '-e', CONNECT, socket],
    { encoding: 'utf8', timeout: 10_000 },
  );
  return `${result.stdout}${result.stderr}`;
}

describe.skipIf(process.platform !== 'linux')('listenOnUnixSocket', () => {
  let scratch: TempWorkspace;
  let dir: string;
  let server: Server;
  let umask: number;
  beforeEach(() => {
    scratch = tempWorkspace({ prefix: 'oxydra-socket-' });
    dir = scratch.dir;
    chmodSync(dir, 0o1777); // world-writable and searchable, as /tmp
    umask = process.umask(0);
    server = createServer((connection) => connection.destroy());
  });
  afterEach(async () => {
    process.umask(umask);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    scratch.cleanup();
  });

  it('creates the socket 0600: no other uid can connect, not even while it starts', async () => {
    const socket = path.join(dir, 'daemon.sock');
    const seen: { mode?: number; other?: string } = {};
    server.once('listening', () => {
      seen.mode = statSync(socket).mode & 0o777;
      if (AS_NOBODY) seen.other = connectAsNobody(socket);
    });
    await listenOnUnixSocket(server, socket);
    expect(seen.mode?.toString(8)).toBe('600');
    expect((statSync(socket).mode & 0o777).toString(8)).toBe('600');
    // The umask is the process's own again.
    expect(process.umask(0)).toBe(0);
    if (AS_NOBODY) {
      expect(seen.other).toMatch(/^refused: Permission denied/);
      expect(connectAsNobody(socket)).toMatch(/^refused: Permission denied/);
    }
  });

  it('listens from a worker thread too, where the umask cannot be set (0600 by the chmod)', async () => {
    const socket = path.join(dir, 'worker.sock');
    // The package's build, as a program running Oxydra in a worker would load it.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { createServer } = require('node:net');
      const { statSync } = require('node:fs');
      import('@oxydra/sandbox').then(async ({ listenOnUnixSocket }) => {
        const server = createServer();
        try {
          await listenOnUnixSocket(server, workerData);
          parentPort.postMessage({ mode: (statSync(workerData).mode & 0o777).toString(8) });
        } catch (error) {
          parentPort.postMessage({ error: String(error) });
        }
        server.close();
      });`;
    const worker = new Worker(code, { eval: true, workerData: socket });
    const answer = await new Promise<{ mode?: string; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(answer).toEqual({ mode: '600' });
  });
});
