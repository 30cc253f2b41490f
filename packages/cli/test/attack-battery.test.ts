/**
 * The attack battery, writes and reads outside the workspace: the real `oxydra run --json`,
 * driven by the testkit's scripted mock model, attempts an escape per test, and each test asserts
 * both that the tool result the model got shows a refusal or failure and that nothing changed
 * outside the workspace (files absent or unchanged, planted markers absent from every model
 * request). Keep attack-battery.md in sync with the test names. The battery's other files:
 * attack-battery-network.test.ts and attack-battery-limits.test.ts (split so that they run side
 * by side; attack-battery-common.ts holds what they share).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_KEY } from './agent-env.js';
import {
  expectRefused,
  hasBwrap,
  outside,
  plantOutside,
  sandboxToml,
  sh,
  sha,
  shellOutput,
  tool,
  useBattery,
} from './attack-battery-common.js';
import { attack, marker } from './attack-helpers.js';

useBattery();

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
