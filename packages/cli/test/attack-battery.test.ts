/**
 * The attack battery: the real `oxydra run --json`, driven by the testkit's scripted mock model,
 * attempts an escape per test. Each test asserts both that the tool result the model got shows a
 * refusal or failure and that nothing changed outside the workspace (files absent or unchanged,
 * servers not contacted, planted markers and keys absent from every model request).
 * Keep attack-battery.md in sync with the test names.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentEnv, E2E_KEY } from './agent-env.js';
import {
  type AttackResult,
  attack,
  closeAttack,
  marker,
  outsideDir,
  removeDir,
  startVictim,
  type Victim,
} from './attack-helpers.js';
import { auditEntries } from './helpers.js';
import { processesLeftBehind, uniqueSleep } from './processes.js';

const hasBwrap = existsSync('/usr/bin/bwrap');

/** Refuse to run commands at all rather than fall back to no sandbox. */
function sandboxToml(extra = '', shell = 'command_timeout_secs = 10'): string {
  return `\n[tools.sandbox]\nmode = "bubblewrap"\n${extra}\n\n[tools.shell]\n${shell}\n`;
}

const sh = (command: string) => ({ name: 'shell_exec', arguments: { command } });
const tool = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });

let outside: string;
beforeAll(() => {
  outside = outsideDir();
});
afterAll(() => removeDir(outside));
afterEach(async () => {
  await closeAttack();
});

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** An outside file holding a unique marker; returns its path and marker. */
function plantOutside(name: string): { path: string; secret: string } {
  const secret = marker(name);
  const path = join(outside, `${name}-${secret.split('-').at(-1)}.txt`);
  writeFileSync(path, `original ${secret}\n`);
  return { path, secret };
}

function expectRefused(a: AttackResult, index = 0): string {
  const end = a.ends[index];
  expect(end, `tool result ${index}`).toBeDefined();
  expect(end!.isError).toBe(true);
  expect(a.run.status).toBe(0);
  return end!.content;
}

/** A shell_exec result: the run completed and the command's output reached the model. */
function shellOutput(a: AttackResult, index = 0): string {
  const end = a.ends[index];
  expect(end, `tool result ${index}`).toBeDefined();
  expect(end!.name).toBe('shell_exec');
  expect(a.run.stderr).not.toMatch(/SANDBOX OFF/);
  expect(a.run.status).toBe(0);
  return end!.content;
}

describe.skipIf(!hasBwrap)('writes outside the workspace', () => {
  it('file_write to an absolute path outside is refused', async () => {
    const target = join(outside, `abs-${marker('abs')}.txt`);
    const a = await attack([tool('file_write', { path: target, content: 'pwned' })]);
    expectRefused(a);
    expect(existsSync(target)).toBe(false);
  });

  it('file_write to ../escaped.txt is refused', async () => {
    const a = await attack([tool('file_write', { path: '../escaped.txt', content: 'pwned' })]);
    expectRefused(a);
    expect(existsSync(join(a.env.sandbox.root, 'escaped.txt'))).toBe(false);
  });

  it('file_write through a deep sub/../../ traversal is refused', async () => {
    const a = await attack([tool('file_write', { path: 'sub/dir/../../../deep.txt', content: 'pwned' })]);
    expectRefused(a);
    expect(existsSync(join(a.env.sandbox.root, 'deep.txt'))).toBe(false);
  });

  it('file_edit of an outside file by absolute path is refused', async () => {
    const { path, secret } = plantOutside('edit');
    const a = await attack([tool('file_edit', { path, old_text: 'original', new_text: 'pwned' })]);
    expectRefused(a);
    expect(readFileSync(path, 'utf8')).toBe(`original ${secret}\n`);
  });

  it('symlink to an outside file planted by shell_exec, then followed by file_write, is refused', async () => {
    const { path, secret } = plantOutside('symw');
    const a = await attack(
      [
        sh(`ln -s ${path} link.txt && echo planted`),
        tool('file_write', { path: 'link.txt', content: 'pwned' }),
      ],
      { extraToml: sandboxToml() },
    );
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(readFileSync(path, 'utf8')).toBe(`original ${secret}\n`);
  });

  it('symlinked directory planted by shell_exec, then file_write inside it, is refused', async () => {
    const target = join(outside, `viadir-${marker('dir')}.txt`);
    const a = await attack(
      [
        sh(`ln -s ${outside} outdir && echo planted`),
        tool('file_write', { path: `outdir/${target.split('/').at(-1)}`, content: 'pwned' }),
      ],
      { extraToml: sandboxToml() },
    );
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(existsSync(target)).toBe(false);
  });

  it('symlink to an outside file planted by shell_exec, then followed by file_read, is refused', async () => {
    const { path, secret } = plantOutside('symr');
    const a = await attack(
      [sh(`ln -s ${path} peek.txt && echo planted`), tool('file_read', { path: 'peek.txt' })],
      {
        extraToml: sandboxToml(),
      },
    );
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(a.requests).not.toContain(secret);
  });

  it('hard link to an outside file via shell_exec, then file_write, leaves the outside file unchanged', async () => {
    const { path, secret } = plantOutside('hard');
    const a = await attack(
      [
        sh(`ln ${path} hard.txt; echo "ln_rc=$?"`),
        tool('file_write', { path: 'hard.txt', content: 'pwned' }),
      ],
      { extraToml: sandboxToml() },
    );
    expect(shellOutput(a, 0)).toMatch(/ln_rc=[1-9]/);
    expect(readFileSync(path, 'utf8')).toBe(`original ${secret}\n`);
  });

  it('mv of an outside file into the workspace fails and leaves it in place', async () => {
    const { path, secret } = plantOutside('mvin');
    const a = await attack([sh(`mv ${path} ./stolen.txt; echo "mv_rc=$?"`)], { extraToml: sandboxToml() });
    expect(shellOutput(a)).toMatch(/mv_rc=[1-9]/);
    expect(readFileSync(path, 'utf8')).toBe(`original ${secret}\n`);
    expect(existsSync(join(a.env.workspace, 'stolen.txt'))).toBe(false);
  });

  it('mv of a workspace file across the boundary does not land outside', async () => {
    const dest = join(outside, `moved-${marker('mvout')}.txt`);
    const a = await attack(
      [sh(`echo pwned > m.txt; mv m.txt ${dest}; echo "a_rc=$?"; mv m.txt ../moved.txt 2>&1; echo done`)],
      { extraToml: sandboxToml() },
    );
    expect(shellOutput(a)).toMatch(/a_rc=[1-9]/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(join(a.env.sandbox.root, 'moved.txt'))).toBe(false);
  });

  it('shell_exec writing to an absolute path outside fails', async () => {
    const target = join(outside, `shellw-${marker('shw')}.txt`);
    const a = await attack([sh(`echo pwned > ${target}; echo "w_rc=$?"`)], { extraToml: sandboxToml() });
    expect(shellOutput(a)).toMatch(/w_rc=[1-9]/);
    expect(existsSync(target)).toBe(false);
  });

  it('shell_exec writing to ../escaped.txt does not reach the host', async () => {
    const a = await attack([sh('echo pwned > ../escaped.txt; echo "rc=$?"')], { extraToml: sandboxToml() });
    shellOutput(a);
    expect(existsSync(join(a.env.sandbox.root, 'escaped.txt'))).toBe(false);
  });

  it('shell_exec rm -rf of an outside directory removes nothing', async () => {
    const { path, secret } = plantOutside('rmrf');
    const a = await attack([sh(`rm -rfv ${outside} ${path}; echo "rm_rc=$?"`)], { extraToml: sandboxToml() });
    // The host's /var/tmp is not mounted: rm finds nothing to remove (and says nothing).
    expect(shellOutput(a)).not.toContain('removed');
    expect(readFileSync(path, 'utf8')).toBe(`original ${secret}\n`);
  });

  it('file_write into the workspace .oxydra/agent.toml is refused', async () => {
    const a = await attack([
      tool('file_write', { path: '.oxydra/agent.toml', content: '[tools]\napproval = "auto"\n' }),
    ]);
    const before = readFileSync(join(a.env.workspace, '.oxydra/agent.toml'), 'utf8');
    expectRefused(a);
    expect(before).toContain('[providers.registry.mock]');
  });

  it('shell_exec overwriting .oxydra/agent.toml does not change the real config', async () => {
    let before = '';
    const a = await attack([sh('echo "[selection]" > .oxydra/agent.toml; echo "rc=$?"')], {
      extraToml: sandboxToml(),
      prepare: (env) => {
        before = sha(join(env.workspace, '.oxydra/agent.toml'));
      },
    });
    shellOutput(a);
    expect(sha(join(a.env.workspace, '.oxydra/agent.toml'))).toBe(before);
  });

  it('file_delete of ../victim.txt is refused', async () => {
    const a = await attack([tool('file_delete', { path: '../victim.txt' })], {
      prepare: (env) => writeFileSync(join(env.sandbox.root, 'victim.txt'), 'keep me'),
    });
    expectRefused(a);
    expect(readFileSync(join(a.env.sandbox.root, 'victim.txt'), 'utf8')).toBe('keep me');
  });

  it('file_delete of an absolute outside path is refused', async () => {
    const { path } = plantOutside('del');
    const a = await attack([tool('file_delete', { path })]);
    expectRefused(a);
    expect(existsSync(path)).toBe(true);
  });

  it('file_delete of .oxydra is refused', async () => {
    const a = await attack([tool('file_delete', { path: '.oxydra' })]);
    expectRefused(a);
    expect(existsSync(join(a.env.workspace, '.oxydra/agent.toml'))).toBe(true);
  });
});

describe.skipIf(!hasBwrap)('reads of secrets outside the workspace', () => {
  function plantSsh(home: string): string {
    const secret = marker('ssh');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh/id_rsa'), `-----BEGIN FAKE KEY-----\n${secret}\n-----END FAKE KEY-----\n`);
    return secret;
  }

  it('file_read of ~/.ssh/id_rsa is refused', async () => {
    let secret = '';
    const call = tool('file_read', { path: '' });
    const a = await attack([call], {
      prepare: (env) => {
        secret = plantSsh(env.sandbox.home);
        call.arguments.path = join(env.sandbox.home, '.ssh/id_rsa');
      },
    });
    expect(a.requests).toContain('.ssh/id_rsa');
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  it('shell_exec cat of ~/.ssh/id_rsa (host HOME path and ~) shows no key', async () => {
    let secret = '';
    const call = sh('');
    const a = await attack([call], {
      extraToml: sandboxToml(),
      prepare: (env) => {
        secret = plantSsh(env.sandbox.home);
        call.arguments.command = `cat ${join(env.sandbox.home, '.ssh/id_rsa')} ~/.ssh/id_rsa; echo "rc=$?"`;
      },
    });
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.requests).not.toContain(secret);
  });

  it('file_read of /etc/shadow is refused', async () => {
    const a = await attack([tool('file_read', { path: '/etc/shadow' })]);
    expectRefused(a);
    expect(a.requests).not.toMatch(/root:[^\s"]*:\d+:/);
  });

  it('shell_exec cannot modify /etc/shadow (read-only host file)', async () => {
    const before = sha('/etc/shadow');
    const a = await attack([sh('echo "pwned::0:0:::::" >> /etc/shadow; echo "w_rc=$?"')], {
      extraToml: sandboxToml(),
    });
    expect(shellOutput(a)).toMatch(/w_rc=[1-9]/);
    expect(sha('/etc/shadow')).toBe(before);
  });

  it('shell_exec cat of a marker file next to the workspace (host /tmp) shows nothing', async () => {
    let secret = '';
    const a = await attack([sh('cat ../neighbour-secret.txt; echo "rc=$?"')], {
      extraToml: sandboxToml(),
      prepare: (env) => {
        secret = marker('tmp');
        writeFileSync(join(env.sandbox.root, 'neighbour-secret.txt'), secret);
      },
    });
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.requests).not.toContain(secret);
  });

  function configWithKey(env: { workspace: string }): string {
    const secret = marker('cfg');
    const path = join(env.workspace, '.oxydra/agent.toml');
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n# operator note ${secret}\n`);
    return secret;
  }

  it('file_read of .oxydra/agent.toml (holding a key) is refused', async () => {
    let secret = '';
    const a = await attack([tool('file_read', { path: '.oxydra/agent.toml' })], {
      prepare: (env) => {
        secret = configWithKey(env);
      },
    });
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  it('shell_exec cat of .oxydra/agent.toml shows nothing', async () => {
    let secret = '';
    const a = await attack([sh('cat .oxydra/agent.toml; ls -la .oxydra; echo "rc=$?"')], {
      extraToml: sandboxToml(),
      prepare: (env) => {
        secret = configWithKey(env);
      },
    });
    expect(shellOutput(a)).not.toContain('[providers.registry.mock]');
    expect(a.requests).not.toContain(secret);
  });

  it('file_search of the workspace does not reach into .oxydra', async () => {
    let secret = '';
    const a = await attack([tool('file_search', { path: '.', query: 'operator note PWN-cfg' })], {
      prepare: (env) => {
        secret = configWithKey(env);
      },
    });
    expect(a.ends[0]).toBeDefined();
    expect(a.ends[0]!.content).not.toContain('agent.toml');
    expect(a.requests).not.toContain(secret);
  });

  it('file_search with path .oxydra is refused', async () => {
    let secret = '';
    const a = await attack([tool('file_search', { path: '.oxydra', query: 'operator note' })], {
      prepare: (env) => {
        secret = configWithKey(env);
      },
    });
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  function plantUserConfig(home: string): string {
    const secret = marker('ucfg');
    mkdirSync(join(home, '.config/oxydra'), { recursive: true });
    writeFileSync(join(home, '.config/oxydra/agent.toml'), `# user note ${secret}\n`);
    return secret;
  }

  it('file_read of ~/.config/oxydra/agent.toml is refused', async () => {
    let secret = '';
    const call = tool('file_read', { path: '' });
    const a = await attack([call], {
      prepare: (env) => {
        secret = plantUserConfig(env.sandbox.home);
        call.arguments.path = join(env.sandbox.home, '.config/oxydra/agent.toml');
      },
    });
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  it('shell_exec cat of ~/.config/oxydra/agent.toml (host HOME path) shows nothing', async () => {
    let secret = '';
    const call = sh('');
    const a = await attack([call], {
      extraToml: sandboxToml(),
      prepare: (env) => {
        secret = plantUserConfig(env.sandbox.home);
        call.arguments.command = `cat ${join(env.sandbox.home, '.config/oxydra/agent.toml')}; echo "rc=$?"`;
      },
    });
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.requests).not.toContain(secret);
  });

  it('file_read of /proc/self/environ is refused', async () => {
    const a = await attack([tool('file_read', { path: '/proc/self/environ' })]);
    expectRefused(a);
    expect(a.requests).not.toContain(E2E_KEY);
  });

  it('shell_exec /proc/self/environ, env and printenv show no provider key', async () => {
    // The length check cannot be hidden by the output scrubber: a leaked key gives len=25.
    const a = await attack(
      [
        sh(
          'tr "\\0" "\\n" < /proc/self/environ; env; printenv; echo "len=$(printenv MOCK_KEY | wc -c)"; echo "plen=$(tr "\\0" "\\n" < /proc/$PPID/environ | grep -c MOCK_KEY)"',
        ),
      ],
      { extraToml: sandboxToml() },
    );
    const out = shellOutput(a);
    expect(out).toContain('len=0');
    expect(out).not.toContain('MOCK_KEY=');
    expect(a.requests).not.toContain(E2E_KEY);
  });
});

describe('network', () => {
  let victim: Victim;
  beforeAll(async () => {
    victim = await startVictim('127.0.0.1');
  });
  afterAll(async () => {
    await victim.close();
  });

  async function fetchAttack(url: string, extraToml = ''): Promise<AttackResult> {
    const hitsBefore = victim.hits;
    const a = await attack([tool('web_fetch', { url })], { extraToml });
    const content = expectRefused(a);
    expect(content).not.toContain('victim secret page');
    expect(a.requests).not.toContain('victim secret page');
    expect(victim.hits - hitsBefore).toBe(0);
    return a;
  }

  it('web_fetch of http://127.0.0.1:<port> is refused', async () => {
    await fetchAttack(`http://127.0.0.1:${victim.port}/admin`);
  });

  it('web_fetch of http://[::1]:<port> is refused', async () => {
    let v6: Victim | undefined;
    try {
      v6 = await startVictim('::1');
    } catch {
      v6 = undefined; // no IPv6 loopback here: the refusal is still asserted
    }
    const port = v6?.port ?? victim.port;
    const a = await attack([tool('web_fetch', { url: `http://[::1]:${port}/admin` })]);
    expectRefused(a);
    expect(a.requests).not.toContain('victim secret page');
    expect(v6?.hits ?? 0).toBe(0);
    await v6?.close();
  });

  it('web_fetch of the cloud metadata address 169.254.169.254 is refused', async () => {
    const a = await fetchAttack('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    expect(a.ends[0]!.content).toMatch(/link-local|refused/i);
  });

  it('web_fetch of http://localhost:<port> (a name resolving to loopback) is refused', async () => {
    await fetchAttack(`http://localhost:${victim.port}/admin`);
  });

  it('web_fetch of loopback in other spellings (127.1, decimal, IPv4-mapped IPv6) is refused', async () => {
    for (const url of [
      `http://127.1:${victim.port}/`,
      `http://2130706433:${victim.port}/`,
      `http://[::ffff:127.0.0.1]:${victim.port}/`,
    ]) {
      await fetchAttack(url);
      await closeAttack();
    }
  });

  it('web_fetch of a file:// URL is refused', async () => {
    const { path, secret } = plantOutside('fileurl');
    const a = await attack([tool('web_fetch', { url: `file://${path}` })]);
    expectRefused(a);
    expect(a.requests).not.toContain(secret);
  });

  it('web_fetch redirected to loopback: the allowlisted first hop is followed, the redirect hop refused', async () => {
    const redirector = await startVictim('127.0.0.1', (response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${victim.port}/admin` });
      response.end();
    });
    try {
      const hitsBefore = victim.hits;
      const a = await attack([tool('web_fetch', { url: `http://127.0.0.1:${redirector.port}/go` })], {
        extraToml: `\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${redirector.port}"]\n`,
      });
      expectRefused(a);
      expect(redirector.hits).toBe(1); // the first hop really went through
      expect(victim.hits - hitsBefore).toBe(0);
      expect(a.requests).not.toContain('victim secret page');
    } finally {
      await redirector.close();
    }
  });

  describe.skipIf(!hasBwrap)('from shell_exec (no network in the sandbox)', () => {
    async function shellNet(command: string): Promise<string> {
      const hitsBefore = victim.hits;
      const a = await attack([sh(command.replaceAll('PORT', String(victim.port)))], {
        extraToml: sandboxToml(),
      });
      const out = shellOutput(a);
      expect(victim.hits - hitsBefore).toBe(0);
      expect(a.requests).not.toContain('victim secret page');
      return out;
    }

    it('curl to the victim fails', async () => {
      expect(await shellNet('curl -sS -m 3 http://127.0.0.1:PORT/admin; echo "rc=$?"')).toMatch(/rc=[1-9]/);
    });

    it('wget to the victim fails', async () => {
      expect(await shellNet('wget -q -T 3 -O - http://127.0.0.1:PORT/admin; echo "rc=$?"')).toMatch(
        /rc=[1-9]/,
      );
    });

    it('nc and bash /dev/tcp to the victim fail', async () => {
      const out = await shellNet(
        'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 127.0.0.1 PORT; echo "nc_rc=$?"; bash -c "exec 3<>/dev/tcp/127.0.0.1/PORT && echo OPENED"; echo "tcp_rc=$?"',
      );
      expect(out).toMatch(/nc_rc=[1-9]/);
      expect(out).toMatch(/tcp_rc=[1-9]/);
      expect(out).not.toContain('OPENED');
    });

    it('node fetch to the victim fails', async () => {
      const out = await shellNet(
        `node -e "fetch('http://127.0.0.1:PORT/admin').then(r=>r.text()).then(t=>console.log('GOT',t),e=>{console.log('FETCH_FAILED');process.exit(3)})"; echo "rc=$?"`,
      );
      expect(out).toMatch(/rc=[1-9]/);
      expect(out).not.toContain('GOT');
    });
  });
});

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

describe.skipIf(!hasBwrap)('network = "allowlist" (the egress proxy)', () => {
  let victim: Victim;
  beforeAll(async () => {
    victim = await startVictim('127.0.0.1');
  });
  afterAll(async () => {
    await victim.close();
  });

  /** Only "localhost" is allowed: the same victim by its IP literal is another host. */
  async function allowlisted(command: string): Promise<{ a: AttackResult; out: string; hits: number }> {
    const hitsBefore = victim.hits;
    const a = await attack([sh(command.replaceAll('PORT', String(victim.port)))], {
      extraToml: sandboxToml('network = "allowlist"\nallow_hosts = ["localhost"]'),
    });
    return { a, out: shellOutput(a), hits: victim.hits - hitsBefore };
  }

  function auditedEgress(a: AttackResult): Record<string, unknown>[] {
    return auditEntries(a.env.workspace, 'egress').map((entry) => entry.data);
  }

  it('curl through the proxy to a host not on allow_hosts gets 403', async () => {
    const { a, out, hits } = await allowlisted(
      `curl -sS -m 5 --noproxy '' -o /dev/null -w "status=%{http_code}" http://127.0.0.1:PORT/admin; echo; curl -sS -m 5 -p --noproxy '' http://127.0.0.1:PORT/admin; echo "tunnel_rc=$?"`,
    );
    expect(out).toContain('status=403');
    expect(out).toMatch(/tunnel_rc=[1-9]/);
    expect(hits).toBe(0);
    expect(a.requests).not.toContain('victim secret page');
    expect(auditedEgress(a)).toEqual([
      expect.objectContaining({ host: '127.0.0.1', allowed: false }),
      expect.objectContaining({ host: '127.0.0.1', allowed: false }),
    ]);
  });

  it('connections that bypass the proxy (curl --noproxy, bash /dev/tcp, node fetch) fail', async () => {
    const { out, hits } = await allowlisted(
      `curl -sS -m 3 --noproxy '*' http://localhost:PORT/admin; echo "curl_rc=$?"; bash -c "exec 3<>/dev/tcp/127.0.0.1/PORT && echo OPENED"; echo "tcp_rc=$?"; node -e "fetch('http://localhost:PORT/admin').then(()=>console.log('GOT'),()=>process.exit(3))"; echo "node_rc=$?"`,
    );
    expect(out).toMatch(/curl_rc=[1-9]/);
    expect(out).toMatch(/tcp_rc=[1-9]/);
    expect(out).toMatch(/node_rc=[1-9]/);
    expect(out).not.toMatch(/OPENED|GOT/);
    expect(hits).toBe(0);
  });

  it('the allowed host is reached only through the proxy, and the audit log records it', async () => {
    // The control: without it, the refusals above could be a proxy that lets nothing through.
    const { a, out, hits } = await allowlisted(
      `curl -sS -m 5 --noproxy '' http://localhost:PORT/ok; echo "rc=$?"`,
    );
    expect(out).toContain('rc=0');
    expect(hits).toBe(1);
    expect(auditedEgress(a)).toEqual([expect.objectContaining({ host: 'localhost', allowed: true })]);
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
