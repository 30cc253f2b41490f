/**
 * The gateway records in `.oxydra/gateways/`: a record sits in the workspace, so a cloned folder
 * could carry one. Its url is printed (`oxydra status`, the shared-workspace warning) and
 * `oxydra dashboard` sends the gateway token there, so only a record a gateway of this user
 * wrote is taken, only an http(s) origin from it, and only one on this machine is contacted.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime } from '@oxydra/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewaysDir, localGatewayOrigin, runningGateways } from '../src/run/gateway-registry.js';

let workspace: string | undefined;
afterEach(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

const started = processStartTime(process.ppid);

/** A record for a process that is running (the parent of this test process), as a gateway writes it. */
function plant(url: string, record: { started?: number | null; mode?: number } = {}): void {
  workspace = mkdtempSync(join(tmpdir(), 'oxydra-registry-'));
  const dir = gatewaysDir(workspace);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${process.ppid}.json`);
  writeFileSync(
    path,
    JSON.stringify({ pid: process.ppid, started: 'started' in record ? record.started : started, url }),
  );
  chmodSync(path, record.mode ?? 0o600);
}

describe('gateway records', () => {
  it('takes the url of a record that names an address', () => {
    plant('http://127.0.0.1:8080');
    expect(runningGateways(workspace!)).toEqual([
      { pid: process.ppid, started, url: 'http://127.0.0.1:8080' },
    ]);
  });

  it('drops a url that carries text or escape sequences of its own', () => {
    plant('http://127.0.0.1:8080 \u001b]52;c;cm0gLXJmIH4=\u0007 run this');
    expect(runningGateways(workspace!)).toEqual([{ pid: process.ppid, started }]);
  });

  it('takes no record others can read or write (as a clone checks one out) and none without its start time', () => {
    expect(started).not.toBeNull();
    for (const mode of [0o644, 0o640, 0o602]) {
      plant('http://127.0.0.1:8080', { mode });
      expect(runningGateways(workspace!), mode.toString(8)).toEqual([]);
      rmSync(workspace!, { recursive: true, force: true });
    }
    plant('http://127.0.0.1:8080', { started: null });
    expect(runningGateways(workspace!)).toEqual([]);
  });
});

describe('where a recorded gateway is contacted', () => {
  it('only at an address on this machine', () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address;
    const cases: [string, string | undefined][] = [
      ['http://127.0.0.1:7700', 'http://127.0.0.1:7700'],
      ['http://127.0.0.9:7700', 'http://127.0.0.9:7700'],
      ['http://[::1]:7700', 'http://[::1]:7700'],
      ['http://localhost:7700', 'http://localhost:7700'],
      // Bound to every interface: reached at loopback.
      ['http://0.0.0.0:7700', 'http://127.0.0.1:7700'],
      ['http://[::]:7700', 'http://[::1]:7700'],
      ['https://127.0.0.1:7443', 'https://127.0.0.1:7443'],
      ['http://203.0.113.7:7700', undefined],
      ['https://gateway.example.com', undefined],
      ['http://127.0.0.1.evil.example:7700', undefined],
      ['ftp://127.0.0.1:21', undefined],
      ['not a url', undefined],
      ...(own ? ([[`http://${own}:7700`, `http://${own}:7700`]] as [string, string][]) : []),
    ];
    for (const [recorded, expected] of cases) expect(localGatewayOrigin(recorded), recorded).toBe(expected);
  });
});
