/**
 * `oxydra dashboard` sends the gateway token to the gateway it finds in the workspace's
 * `.oxydra/gateways/` records. A record is a file in the folder, so a cloned repository can carry
 * one: the token must go only to a gateway this user started, at an address on this machine.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { processStartTime } from '@oxydra/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

const TOKEN = 'gw-planted-token-7c1d9e20aa';

let sandbox: CliSandbox | undefined;
let closeServer: (() => void) | undefined;
afterEach(() => {
  closeServer?.();
  closeServer = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
});

/** A server that answers a login code as a gateway would, and keeps the headers it was sent. */
async function listener(
  host: string,
  answerPath = '/#code=abc',
): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ path: answerPath }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  closeServer = () => server.close();
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
}

/** A record in the workspace, as `content` and `mode` make it. */
function plant(record: object, mode: number): void {
  sandbox = new CliSandbox({ OXYDRA_GATEWAY_TOKEN: TOKEN });
  const dir = join(sandbox.workspace, '.oxydra', 'gateways');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${(record as { pid: number }).pid}.json`);
  writeFileSync(path, JSON.stringify(record));
  chmodSync(path, mode);
}

/** `oxydra dashboard --print`, not blocking this process (whose server must answer). */
function dashboard(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [OXYDRA_BIN, 'dashboard', '--print'], {
    cwd: sandbox!.workspace,
    env: sandbox!.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('oxydra dashboard and a planted gateway record', () => {
  it('does not send the token to a record checked out of a repository (0644, no start time)', async () => {
    const { url, seen } = await listener('127.0.0.1');
    // pid 1 is always alive; a clone cannot know a live process's start time.
    plant({ pid: 1, started: null, url }, 0o644);
    const result = await dashboard();
    expect(result.stderr).toContain('error: no gateway is running for');
    expect(result.status).toBe(2);
    expect(seen).toEqual([]);
  });

  it('does not send the token to a private record without its start time', async () => {
    const { url, seen } = await listener('127.0.0.1');
    plant({ pid: process.pid, started: null, url }, 0o600);
    const result = await dashboard();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: no gateway is running for');
    expect(seen).toEqual([]);
  });

  it('does not send the token to another machine, even from a record of a live process', async () => {
    plant(
      { pid: process.pid, started: processStartTime(process.pid), url: 'http://203.0.113.7:7700' },
      0o600,
    );
    const result = await dashboard();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'names http://203.0.113.7:7700, not an address on this machine: the token is not sent there',
    );
    expect(result.stderr).toContain('hint: name the gateway yourself with --gateway URL');
    expect(result.stderr).not.toContain(TOKEN);
  });

  it('sends it to a record a gateway of this user wrote', async () => {
    const { url, seen } = await listener('127.0.0.1');
    plant({ pid: process.pid, started: processStartTime(process.pid), url }, 0o600);
    const result = await dashboard();
    expect(result.stdout).toBe(`${url}/#code=abc\n`);
    expect(result.status).toBe(0);
    expect(seen.map((headers) => headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });

  it('prints no link its answer turns toward another host', async () => {
    const { url } = await listener('127.0.0.1', '@evil.example/#code=abc');
    plant({ pid: process.pid, started: processStartTime(process.pid), url }, 0o600);
    const result = await dashboard();
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('answered a login code this version does not know');
  });
});
