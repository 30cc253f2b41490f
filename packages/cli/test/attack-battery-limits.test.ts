/**
 * The attack battery's limits rows (see attack-battery.test.ts for the battery as a whole):
 * resource abuse, processes outside the sandbox, secret leakage into output and stored files, the
 * vault, and the kernel attack surface seccomp closes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesLeftBehind, uniqueSleep } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { type AgentEnv, E2E_KEY } from './agent-env.js';
import {
  expectRefused,
  hasBwrap,
  sandboxToml,
  sh,
  shellOutput,
  tool,
  useBattery,
} from './attack-battery-common.js';
import { type AttackResult, attack, marker } from './attack-helpers.js';

useBattery();

describe.skipIf(!hasBwrap)('resource abuse', () => {
  function hostStillUsable(): void {
    const probe = spawnSync('sh', ['-c', 'echo alive'], { encoding: 'utf8' });
    expect(probe.stdout).toBe('alive\n');
  }

  it('a fork bomb is stopped by max_processes and cleaned up', async () => {
    const tag = marker('bomb');
    const a = await attack([sh(`bash -c ':(){ :|:& };: # ${tag}'; sleep 2; echo "bombed"`)], {
      extraToml: sandboxToml('max_processes = 32', 'command_timeout_secs = 4'),
    });
    expect(a.run.status).toBe(0);
    expect(a.run.events.at(-1)?.type).toBe('run_completed');
    expect(a.ends[0]!.content).toMatch(/fork|resource|retry|timed out|killed|limit|bombed/i);
    hostStillUsable();
    expect(await processesLeftBehind(tag)).toEqual([]);
  });

  it('a memory hog is stopped by max_memory_mib', async () => {
    const a = await attack(
      [
        sh(
          `awk 'BEGIN { s = "x"; while (1) s = s s }' 2>&1 | tail -c 200; echo "hog_rc=$?"; echo "status=\${PIPESTATUS:-n/a}"`,
        ),
      ],
      { extraToml: sandboxToml('max_memory_mib = 64', 'command_timeout_secs = 8') },
    );
    const out = shellOutput(a);
    expect(out).toMatch(/hog_rc=/);
    expect(out).toMatch(/memory|out of|cannot allocate|killed/i);
    hostStillUsable();
  });

  it('a CPU loop is stopped by max_cpu_secs', async () => {
    const a = await attack([sh(`sh -c 'while :; do :; done'; echo "cpu_rc=$?"`)], {
      extraToml: sandboxToml('max_cpu_secs = 1', 'command_timeout_secs = 20'),
    });
    const out = shellOutput(a);
    expect(out).toMatch(/cpu_rc=(1[2-9]\d|[1-9]\d?)\b/);
    expect(out).not.toContain('cpu_rc=0');
    hostStillUsable();
  });

  it('a command outliving the shell timeout is killed with everything it started', async () => {
    const sleep = uniqueSleep();
    const a = await attack([sh(`(sleep ${sleep} &); sleep ${sleep}; echo "finished"`)], {
      extraToml: sandboxToml('', 'command_timeout_secs = 1'),
    });
    expect(a.run.status).toBe(0);
    expect(a.ends[0]!.isError).toBe(true);
    expect(a.ends[0]!.content).not.toContain('finished');
    expect(await processesLeftBehind(sleep)).toEqual([]);
    hostStillUsable();
  });
});

describe.skipIf(!hasBwrap)('processes', () => {
  it('kill -9 of the test runner pid fails', async () => {
    const a = await attack([sh(`kill -9 ${process.pid}; echo "kill_rc=$?"`)], { extraToml: sandboxToml() });
    expect(shellOutput(a)).toMatch(/kill_rc=[1-9]/);
    expect(() => process.kill(process.pid, 0)).not.toThrow();
  });

  it("kill -9 of the oxydra CLI's own pid and of its parent pid fails", async () => {
    const call = sh('');
    const a = await attack([call], {
      extraToml: sandboxToml(),
      during: async (child) => {
        call.arguments.command = `kill -9 ${child.pid}; echo "cli_rc=$?"; kill -9 $PPID; echo "ppid_rc=$?"`;
      },
    });
    const out = shellOutput(a);
    expect(out).toMatch(/cli_rc=[1-9]/);
    expect(a.run.events.at(-1)?.type).toBe('run_completed');
    expect(a.ends).toHaveLength(1);
    expect(a.run.stdout).toContain('Done.');
  });

  it('ps inside the sandbox shows no host processes', async () => {
    const a = await attack([sh('ps -eo pid,args; echo "count=$(ls -d /proc/[0-9]* | wc -l)"')], {
      extraToml: sandboxToml(),
    });
    const out = shellOutput(a);
    expect(out).not.toMatch(/vitest|oxydra\.js|bin\/oxydra/);
    expect(out).not.toContain(`${process.pid} `);
    const count = Number(/count=(\d+)/.exec(out)?.[1] ?? '999');
    expect(count).toBeLessThan(10);
  });
});

describe.skipIf(!hasBwrap)('secret leakage', () => {
  async function busyRun(): Promise<AttackResult> {
    return attack(
      [
        sh('echo "key=[$MOCK_KEY] [$OPENAI_API_KEY]"; env | sort'),
        tool('file_write', { path: 'notes.txt', content: 'hello' }),
        tool('memory_save', { content: 'the staging server is bluefin' }),
      ],
      { extraToml: sandboxToml(), extraEnv: { OPENAI_API_KEY: 'sk-openai-should-never-leak-0042' } },
    );
  }

  it('the provider key from the environment never appears in any model request', async () => {
    const a = await busyRun();
    expect(shellOutput(a)).toContain('key=[] []');
    expect(a.env.mock.requests.length).toBeGreaterThanOrEqual(4);
    expect(a.requests).not.toContain(E2E_KEY);
    expect(a.requests).not.toContain('sk-openai-should-never-leak');
  });

  it('config show (plain, --json, --sources) never prints the key', async () => {
    const a = await attack([], {
      prepare: (env) => {
        const path = join(env.workspace, '.oxydra/agent.toml');
        // Through the sandbox's write: the owner's edit, trusted as they would trust it.
        env.sandbox.write(
          '.oxydra/agent.toml',
          readFileSync(path, 'utf8').replace(
            'api_key_env = "MOCK_KEY"',
            'api_key = "sk-in-file-secret-PWN-77"',
          ),
        );
      },
    });
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
      ['config', 'show', '--sources'],
    ]) {
      const out = a.env.sandbox.run(...args);
      expect(out.stdout.length).toBeGreaterThan(0);
      expect(out.stdout + out.stderr).not.toContain('sk-in-file-secret-PWN-77');
    }
    // And with the key in the environment.
    const b = await busyRun();
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
      ['config', 'show', '--sources'],
    ]) {
      const out = b.env.sandbox.run(...args);
      expect(out.stdout).toContain('mock');
      expect(out.stdout + out.stderr).not.toContain(E2E_KEY);
    }
  }, 90_000); // two workspaces and six runs of the binary: past 30 s on a loaded machine

  it('sessions export never contains the key', async () => {
    const a = await busyRun();
    const id = (a.run.events.at(-1) as { sessionId?: string }).sessionId;
    expect(id).toBeTruthy();
    for (const format of ['md', 'jsonl']) {
      const out = a.env.sandbox.run('sessions', 'export', id!, '--format', format);
      expect(out.stdout, out.stderr).toContain('bluefin');
      expect(out.stdout + out.stderr).not.toContain(E2E_KEY);
      expect(out.stdout).not.toContain('sk-openai-should-never-leak');
    }
  });

  it('the memory database file bytes never contain the key', async () => {
    const a = await busyRun();
    const dir = join(a.env.workspace, '.oxydra');
    const files = readdirSync(dir).filter((name) => name.startsWith('memory.db'));
    expect(files).toContain('memory.db');
    for (const name of files) {
      const bytes = readFileSync(join(dir, name));
      expect(bytes.includes('bluefin') || name !== 'memory.db' || bytes.length > 0).toBe(true);
      expect(bytes.includes(E2E_KEY)).toBe(false);
      expect(bytes.includes('sk-openai-should-never-leak')).toBe(false);
    }
  });
});

describe('attacks on the vault', () => {
  // The vault lies inside the workspace here, the harder layout: the path policy alone would
  // allow it, so the vault rule and the sandbox mask are what refuse it.
  const withVault = (mark: string) => (env: AgentEnv) => {
    env.sandbox.write('.oxydra/providers.toml', '[tools]\nvault_path = "vault"\n');
    env.sandbox.write('vault/secret.txt', `vault secret ${mark}\n`);
  };

  it('file_read of a vault file is refused', async () => {
    const mark = marker('vault-read');
    const a = await attack([tool('file_read', { path: 'vault/secret.txt' })], { prepare: withVault(mark) });
    expect(expectRefused(a)).toContain('vault_copyto');
    expect(a.requests).not.toContain(mark);
  });

  it('shell_exec cat of a vault file shows nothing (the vault is masked in the sandbox)', async () => {
    const mark = marker('vault-cat');
    const a = await attack([sh('cat vault/secret.txt; ls vault; echo "rc=$?"')], {
      extraToml: sandboxToml(),
      prepare: withVault(mark),
    });
    // The masked vault is empty inside the sandbox: cat finds no file, ls lists nothing.
    expect(shellOutput(a)).toMatch(/No such file/);
    expect(a.requests).not.toContain(`vault secret ${mark}`);
  });

  it('file_search of the workspace does not reach into the vault', async () => {
    const mark = marker('vault-search');
    const a = await attack([tool('file_search', { path: '.', query: mark })], { prepare: withVault(mark) });
    // The query itself is echoed back; the file's line never is.
    expect(a.requests).not.toContain(`vault secret ${mark}`);
    expect(a.requests).not.toContain('secret.txt:1');
  });

  it('vault_copyto cannot escape the vault, and a legitimate copy never shows the content', async () => {
    const mark = marker('vault-copy');
    const a = await attack(
      [
        tool('vault_copyto', {
          source_path: '/vault/../.oxydra/agent.toml',
          destination_path: 'stolen.toml',
        }),
        tool('vault_copyto', { source_path: '/vault/secret.txt', destination_path: 'docs/copy.txt' }),
      ],
      { prepare: withVault(mark) },
    );
    expect(expectRefused(a, 0)).toMatch(/escapes the vault/);
    expect(existsSync(join(a.env.workspace, 'stolen.toml'))).toBe(false);
    expect(a.ends[1]).toMatchObject({ name: 'vault_copyto', isError: false });
    expect(readFileSync(join(a.env.workspace, 'docs/copy.txt'), 'utf8')).toContain(mark);
    expect(a.requests).not.toContain(mark);
  });
});

describe.skipIf(!hasBwrap || process.arch !== 'x64')('kernel attack surface (seccomp)', () => {
  it('a nested user namespace and the kernel keyring are refused', async () => {
    // unshare -U is the first step of many namespace-based kernel exploits; keyctl's keyrings
    // are not namespaced. (The perl syscall numbers are x86_64's.)
    const a = await attack(
      [
        sh(
          `unshare -U sh -c 'echo IN_NEW_USERNS'; echo "unshare_rc=$?"; perl -e '$k = syscall(250, 0, -3, 0); print "keyctl=", ($k < 0 ? "errno" . ($!+0) : "ok"), "\\n"'`,
        ),
      ],
      { extraToml: sandboxToml() },
    );
    const out = shellOutput(a);
    expect(out).not.toContain('IN_NEW_USERNS');
    expect(out).toMatch(/unshare_rc=[1-9]/);
    expect(out).toContain('keyctl=errno1');
  });
});
