/**
 * The shell daemon over a real Unix socket: the four operations, stdout and stderr kept apart,
 * the output budget and chunk size, a timeout that kills the command's whole process group,
 * kill_session stopping a running command, and malformed requests answered with error frames.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame } from '@oxydra/sandbox';
import {
  connectShellDaemon,
  type ShellDaemon,
  type ShellDaemonClient,
  ShellDaemonRequestError,
  startShellDaemon,
} from '@oxydra/shell-daemon';
import {
  pollUntil,
  processesLeftBehind,
  processesWith,
  type TempWorkspace,
  tempWorkspace,
  uniqueSleep,
} from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let scratch: TempWorkspace;
let dir: string;
let daemon: ShellDaemon | undefined;
let clients: ShellDaemonClient[] = [];

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-shd-' });
  dir = scratch.dir;
});

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await daemon?.close();
  daemon = undefined;
  scratch.cleanup();
});

async function start(options: { maxSessionOutputBytes?: number; maxStreamChunkBytes?: number } = {}) {
  daemon = await startShellDaemon({ socketPath: join(dir, 'shell.sock'), ...options });
  return connect();
}

async function connect(): Promise<ShellDaemonClient> {
  const client = await connectShellDaemon(join(dir, 'shell.sock'));
  clients.push(client);
  return client;
}

/** Resolves once a process with `marker` in its command line runs (bounded). */
function processStarted(marker: string): Promise<true> {
  return pollUntil(() => processesWith(marker).length > 0, `a process matching ${marker} to start`);
}

describe('shell daemon operations', () => {
  it('spawns a session, runs a command, streams stdout then stderr, kills the session', async () => {
    const client = await start();
    const spawned = await client.request('spawn_session', {
      request_id: 'r1',
      cwd: dir,
      env: { GREETING: 'hi' },
    });
    expect(spawned).toEqual({ request_id: 'r1', session_id: 'session-000001' });

    const exec = await client.request('exec_command', {
      request_id: 'r2',
      session_id: spawned.session_id,
      command: 'echo "$GREETING from $(pwd)"; echo oops >&2',
    });
    expect(exec).toEqual({ request_id: 'r2', accepted: true });

    const first = await client.streamOutput(spawned.session_id);
    expect(first).toMatchObject({ stream: 'stdout', data: `hi from ${dir}\n`, eof: false });
    const second = await client.streamOutput(spawned.session_id);
    expect(second).toMatchObject({ stream: 'stderr', data: 'oops\n', eof: true });
    const drained = await client.streamOutput(spawned.session_id);
    expect(drained).toMatchObject({ stream: 'stdout', data: '', eof: true });

    expect(await client.killSession(spawned.session_id)).toMatchObject({ killed: true });
    expect(await client.killSession(spawned.session_id)).toMatchObject({ killed: false });
    await expect(client.streamOutput(spawned.session_id)).rejects.toThrow(
      /session `session-000001` not found/,
    );
  });

  it('makes the socket owner-only', async () => {
    await start();
    expect(statSync(join(dir, 'shell.sock')).mode & 0o777).toBe(0o600);
  });

  it("runs each command with the session's shell (default /bin/sh)", async () => {
    const client = await start();
    expect((await client.run('echo "$0"')).stdout).toBe('/bin/sh\n');
    const { session_id } = await client.spawnSession({ shell: '/bin/bash' });
    await client.execCommand(
      session_id,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS.
      'echo "$0 ${BASH_VERSION:+is bash}"; shopt -q login_shell && echo login',
    );
    expect((await client.readAllOutput(session_id)).stdout).toBe('/bin/bash is bash\nlogin\n');
  });

  it('hands out output in chunks of at most 8 KiB (or max_bytes), within a 64 KiB budget', async () => {
    const client = await start();
    const { session_id } = await client.spawnSession();
    await client.execCommand(session_id, 'head -c 100000 /dev/zero | tr "\\0" a');
    const sizes: number[] = [];
    let total = 0;
    for (;;) {
      const chunk = await client.streamOutput(session_id, 100_000);
      sizes.push(Buffer.byteLength(chunk.data));
      total += Buffer.byteLength(chunk.data);
      if (chunk.eof) break;
    }
    expect(Math.max(...sizes)).toBe(8 * 1024);
    expect(total).toBeLessThanOrEqual(64 * 1024);
    expect(total).toBeGreaterThan(60 * 1024);

    await client.execCommand(session_id, 'printf abcdefghij');
    expect((await client.streamOutput(session_id, 4)).data).toBe('abcd');
  });

  it('never splits a UTF-8 character across chunks', async () => {
    const client = await start({ maxStreamChunkBytes: 5 });
    const { session_id } = await client.spawnSession();
    await client.execCommand(session_id, "printf 'é€🎉é€🎉'");
    const { stdout } = await client.readAllOutput(session_id);
    expect(stdout).toBe('é€🎉é€🎉');
  });

  it('serves several clients, each strictly in order', async () => {
    await start();
    const [a, b] = [await connect(), await connect()];
    const results = await Promise.all([
      a.run('sleep 0.2; echo A'),
      b.run('echo B'),
      ...Array.from({ length: 5 }, (_, i) => a.run(`echo ${i}`)),
    ]);
    expect(results.map((r) => r.stdout.trim())).toEqual(['A', 'B', '0', '1', '2', '3', '4']);
  });
});

describe('shell daemon limits and kills', () => {
  it('a timeout kills the whole process group and reports it', async () => {
    const client = await start();
    const marker = uniqueSleep();
    const { session_id } = await client.spawnSession();
    const error = await client
      .execCommand(session_id, `echo started; sleep ${marker} & sleep ${marker}; wait`, 1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellDaemonRequestError);
    expect((error as Error).message).toMatch(/timed out after 1s/);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
    // What it printed before the timeout is still readable.
    expect((await client.readAllOutput(session_id)).stdout).toBe('started\n');
  });

  it('kill_session stops a command running in that session', async () => {
    await start();
    const [runner, killer] = [await connect(), await connect()];
    const marker = uniqueSleep();
    const { session_id } = await runner.spawnSession();
    const running = runner.execCommand(session_id, `sleep ${marker}`).catch((e: unknown) => e);
    await processStarted(`sleep ${marker}`);
    expect(await killer.killSession(session_id)).toMatchObject({ killed: true });
    expect(((await running) as Error).message).toMatch(/was killed while its command ran/);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });

  it('closing the daemon kills running commands and removes the socket', async () => {
    const client = await start();
    const marker = uniqueSleep();
    const { session_id } = await client.spawnSession();
    const running = client.execCommand(session_id, `sleep ${marker}`).catch((e: unknown) => e);
    await processStarted(`sleep ${marker}`);
    await daemon!.close();
    daemon = undefined;
    expect(await running).toBeInstanceOf(Error);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
    expect(() => statSync(join(dir, 'shell.sock'))).toThrow();
  });
});

describe('shell daemon errors', () => {
  it('answers a frame that is not JSON with an error frame and stays usable', async () => {
    const client = await start();
    const bytes = Buffer.from('not json');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(bytes.length, 0);
    const response = await client.sendRaw(Buffer.concat([prefix, bytes]));
    expect(response.op).toBe('error');
    expect(response.payload).toMatchObject({
      message: expect.stringMatching(/^invalid shell-daemon request frame/),
    });
    expect((await client.run('echo still here')).stdout).toBe('still here\n');
  });

  it('answers an unknown op or a missing field with an error carrying the request id', async () => {
    const client = await start();
    expect(await client.sendRaw(encodeFrame({ op: 'reboot', payload: { request_id: 'x1' } }))).toEqual({
      op: 'error',
      payload: {
        request_id: 'x1',
        message: expect.stringMatching(/invalid shell-daemon request frame at op/),
      },
    });
    expect(
      await client.sendRaw(encodeFrame({ op: 'exec_command', payload: { request_id: 'x2', command: 'ls' } })),
    ).toEqual({
      op: 'error',
      payload: { request_id: 'x2', message: expect.stringMatching(/at payload\.session_id/) },
    });
  });

  it('refuses an empty command, an unknown session and a second command in a busy session', async () => {
    const client = await start();
    const { session_id } = await client.spawnSession();
    await expect(client.execCommand(session_id, '   ')).rejects.toThrow('command must not be empty');
    await expect(client.execCommand('session-999999', 'ls')).rejects.toThrow(/session-999999` not found/);
    const other = await connect();
    const marker = uniqueSleep();
    const running = client.execCommand(session_id, `sleep ${marker}`).catch((e: unknown) => e);
    await processStarted(`sleep ${marker}`);
    await expect(other.execCommand(session_id, 'ls')).rejects.toThrow(/already running a command/);
    await other.killSession(session_id);
    await running;
  });

  it('reports a working directory that does not exist', async () => {
    const client = await start();
    const { session_id } = await client.spawnSession({ cwd: join(dir, 'missing') });
    await expect(client.execCommand(session_id, 'ls')).rejects.toThrow(/failed to execute command/);
  });

  it('ends the connection on an oversized frame, with an error frame first', async () => {
    const client = await start();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(64 * 1024 * 1024, 0);
    const response = await client.sendRaw(prefix);
    expect(response).toMatchObject({ op: 'error', payload: { message: expect.stringMatching(/exceeds/) } });
    await expect(client.run('echo x')).rejects.toThrow(/closed the connection/);
  });

  it('refuses to take over a socket another daemon is listening on', async () => {
    await start();
    await expect(startShellDaemon({ socketPath: join(dir, 'shell.sock') })).rejects.toThrow(
      /already listening/,
    );
  });
});
