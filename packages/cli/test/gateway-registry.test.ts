/**
 * The gateway records in `.oxydra/gateways/`: a record sits in the workspace, so a cloned folder
 * could carry one. Its url is printed (`oxydra status`, the shared-workspace warning), so only an
 * http(s) origin is taken from it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewaysDir, runningGateways } from '../src/run/gateway-registry.js';

let workspace: string | undefined;
afterEach(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

/** A record for a process that is running (the parent of this test process). */
function plant(url: string): void {
  workspace = mkdtempSync(join(tmpdir(), 'oxydra-registry-'));
  const dir = gatewaysDir(workspace);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${process.ppid}.json`), JSON.stringify({ pid: process.ppid, started: null, url }));
}

describe('gateway records', () => {
  it('takes the url of a record that names an address', () => {
    plant('http://127.0.0.1:8080');
    expect(runningGateways(workspace!)).toEqual([
      { pid: process.ppid, started: null, url: 'http://127.0.0.1:8080' },
    ]);
  });

  it('drops a url that carries text or escape sequences of its own', () => {
    plant('http://127.0.0.1:8080 \u001b]52;c;cm0gLXJmIH4=\u0007 run this');
    expect(runningGateways(workspace!)).toEqual([{ pid: process.ppid, started: null }]);
  });
});
