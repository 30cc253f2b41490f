import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxPolicy } from '@oxydra/types';
import { createBubblewrapRunner } from '../src/index.js';

export const HAS_BWRAP = existsSync('/usr/bin/bwrap');
/** node may live outside /usr (CI's toolcache): its install tree is a readable root in tests. */
export const NODE_ROOT = path.dirname(path.dirname(process.execPath));

export interface Fixture {
  root: string;
  workspace: string;
  home: string;
  cleanup(): void;
}

export function fixture(): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'oxydra-sandbox-test-'));
  const workspace = path.join(root, 'ws');
  const home = path.join(root, 'home');
  mkdirSync(path.join(workspace, '.oxydra'), { recursive: true });
  writeFileSync(path.join(workspace, '.oxydra', 'secret.toml'), 'token = "WS-SECRET"\n');
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'SSH-SECRET\n');
  writeFileSync(path.join(home, 'notes.txt'), 'HOME-SECRET\n');
  return { root, workspace, home, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function policy(overrides: Partial<SandboxPolicy> = {}): SandboxPolicy {
  return {
    readableRoots: [],
    writableRoots: [],
    deniedPaths: [],
    network: 'off',
    envAllowlist: ['PATH', 'LANG'],
    ...overrides,
  };
}

export function runIn(f: Fixture, p: SandboxPolicy, command: string, timeoutMs = 20_000) {
  const run = createBubblewrapRunner(p, { workspace: f.workspace, home: f.home });
  return run(command, {
    cwd: f.workspace,
    env: { PATH: '/usr/bin:/bin', LANG: 'C', OPENAI_API_KEY: 'sk-should-not-leak' },
    timeoutMs,
    killGraceMs: 500,
  });
}
