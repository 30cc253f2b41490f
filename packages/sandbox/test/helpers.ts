import { existsSync } from 'node:fs';
import path from 'node:path';
import { tempWorkspace } from '@oxydra/testkit/helpers';
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
  const tmp = tempWorkspace({
    prefix: 'oxydra-sandbox-test-',
    files: {
      'ws/.oxydra/secret.toml': 'token = "WS-SECRET"\n',
      'home/.ssh/id_ed25519': 'SSH-SECRET\n',
      'home/notes.txt': 'HOME-SECRET\n',
    },
  });
  return { root: tmp.dir, workspace: tmp.path('ws'), home: tmp.path('home'), cleanup: tmp.cleanup };
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
