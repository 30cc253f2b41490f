/**
 * The attack battery, writes and reads outside the workspace: the real `oxydra run --json`,
 * driven by the testkit's scripted mock model, attempts an escape per test, and each test asserts
 * both that the tool result the model got shows a refusal or failure and that nothing changed
 * outside the workspace (files absent or unchanged, planted markers absent from every model
 * request). Keep attack-battery.md in sync with the test names. The battery's other files:
 * attack-battery-network.test.ts and attack-battery-limits.test.ts (split so that they run side
 * by side; attack-battery-common.ts holds what they share).
 *
 * No attack here is about the process boundary, so the attacks of a describe that run with the
 * same config are the turns of one `oxydra run` (attackBatch: one binary start per config, not
 * one per attack); each test still checks its own calls' results and its own targets.
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
import { attackBatch, marker } from './attack-helpers.js';

useBattery();

describe.skipIf(!hasBwrap)('writes outside the workspace', () => {
  // The file tools' attacks, on the default config.
  const files = attackBatch();
  // The attacks through shell_exec, in bubblewrap.
  const shell = attackBatch(sandboxToml());

  const absWrite = files.add(() => {
    const target = join(outside, `abs-${marker('abs')}.txt`);
    return { target, calls: [tool('file_write', { path: target, content: 'pwned' })] };
  });
  it('file_write to an absolute path outside is refused', () => {
    const a = absWrite();
    expectRefused(a);
    expect(existsSync(a.target)).toBe(false);
  });

  const dotdotWrite = files.add(() => ({
    calls: [tool('file_write', { path: '../escaped.txt', content: 'pwned' })],
  }));
  it('file_write to ../escaped.txt is refused', () => {
    const a = dotdotWrite();
    expectRefused(a);
    expect(existsSync(join(a.env.sandbox.root, 'escaped.txt'))).toBe(false);
  });

  const deepWrite = files.add(() => ({
    calls: [tool('file_write', { path: 'sub/dir/../../../deep.txt', content: 'pwned' })],
  }));
  it('file_write through a deep sub/../../ traversal is refused', () => {
    const a = deepWrite();
    expectRefused(a);
    expect(existsSync(join(a.env.sandbox.root, 'deep.txt'))).toBe(false);
  });

  const outsideEdit = files.add(() => {
    const planted = plantOutside('edit');
    return {
      ...planted,
      calls: [tool('file_edit', { path: planted.path, old_text: 'original', new_text: 'pwned' })],
    };
  });
  it('file_edit of an outside file by absolute path is refused', () => {
    const a = outsideEdit();
    expectRefused(a);
    expect(readFileSync(a.path, 'utf8')).toBe(`original ${a.secret}\n`);
  });

  const symlinkWrite = shell.add(() => {
    const planted = plantOutside('symw');
    return {
      ...planted,
      calls: [
        sh(`ln -s ${planted.path} link.txt && echo planted`),
        tool('file_write', { path: 'link.txt', content: 'pwned' }),
      ],
    };
  });
  it('symlink to an outside file planted by shell_exec, then followed by file_write, is refused', () => {
    const a = symlinkWrite();
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(readFileSync(a.path, 'utf8')).toBe(`original ${a.secret}\n`);
  });

  const symlinkDir = shell.add(() => {
    const target = join(outside, `viadir-${marker('dir')}.txt`);
    return {
      target,
      calls: [
        sh(`ln -s ${outside} outdir && echo planted`),
        tool('file_write', { path: `outdir/${target.split('/').at(-1)}`, content: 'pwned' }),
      ],
    };
  });
  it('symlinked directory planted by shell_exec, then file_write inside it, is refused', () => {
    const a = symlinkDir();
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(existsSync(a.target)).toBe(false);
  });

  const symlinkRead = shell.add(() => {
    const planted = plantOutside('symr');
    return {
      ...planted,
      calls: [sh(`ln -s ${planted.path} peek.txt && echo planted`), tool('file_read', { path: 'peek.txt' })],
    };
  });
  it('symlink to an outside file planted by shell_exec, then followed by file_read, is refused', () => {
    const a = symlinkRead();
    expect(shellOutput(a, 0)).toContain('planted');
    expectRefused(a, 1);
    expect(a.requests).not.toContain(a.secret);
  });

  const hardLink = shell.add(() => {
    const planted = plantOutside('hard');
    return {
      ...planted,
      calls: [
        sh(`ln ${planted.path} hard.txt; echo "ln_rc=$?"`),
        tool('file_write', { path: 'hard.txt', content: 'pwned' }),
      ],
    };
  });
  it('hard link to an outside file via shell_exec, then file_write, leaves the outside file unchanged', () => {
    const a = hardLink();
    expect(shellOutput(a, 0)).toMatch(/ln_rc=[1-9]/);
    expect(readFileSync(a.path, 'utf8')).toBe(`original ${a.secret}\n`);
  });

  const mvIn = shell.add(() => {
    const planted = plantOutside('mvin');
    return { ...planted, calls: [sh(`mv ${planted.path} ./stolen.txt; echo "mv_rc=$?"`)] };
  });
  it('mv of an outside file into the workspace fails and leaves it in place', () => {
    const a = mvIn();
    expect(shellOutput(a)).toMatch(/mv_rc=[1-9]/);
    expect(readFileSync(a.path, 'utf8')).toBe(`original ${a.secret}\n`);
    expect(existsSync(join(a.env.workspace, 'stolen.txt'))).toBe(false);
  });

  const mvOut = shell.add(() => {
    const dest = join(outside, `moved-${marker('mvout')}.txt`);
    return {
      dest,
      calls: [
        sh(`echo pwned > m.txt; mv m.txt ${dest}; echo "a_rc=$?"; mv m.txt ../moved.txt 2>&1; echo done`),
      ],
    };
  });
  it('mv of a workspace file across the boundary does not land outside', () => {
    const a = mvOut();
    expect(shellOutput(a)).toMatch(/a_rc=[1-9]/);
    expect(existsSync(a.dest)).toBe(false);
    expect(existsSync(join(a.env.sandbox.root, 'moved.txt'))).toBe(false);
  });

  const shellAbsWrite = shell.add(() => {
    const target = join(outside, `shellw-${marker('shw')}.txt`);
    return { target, calls: [sh(`echo pwned > ${target}; echo "w_rc=$?"`)] };
  });
  it('shell_exec writing to an absolute path outside fails', () => {
    const a = shellAbsWrite();
    expect(shellOutput(a)).toMatch(/w_rc=[1-9]/);
    expect(existsSync(a.target)).toBe(false);
  });

  const shellDotdot = shell.add(() => ({ calls: [sh('echo pwned > ../escaped.txt; echo "rc=$?"')] }));
  it('shell_exec writing to ../escaped.txt does not reach the host', () => {
    const a = shellDotdot();
    shellOutput(a);
    expect(existsSync(join(a.env.sandbox.root, 'escaped.txt'))).toBe(false);
  });

  const configWrite = files.add(() => ({
    calls: [tool('file_write', { path: '.oxydra/agent.toml', content: '[tools]\napproval = "auto"\n' })],
  }));
  it('file_write into the workspace .oxydra/agent.toml is refused', () => {
    const a = configWrite();
    const before = readFileSync(join(a.env.workspace, '.oxydra/agent.toml'), 'utf8');
    expectRefused(a);
    expect(before).toContain('[providers.registry.mock]');
  });

  const configOverwrite = shell.add(() => {
    const seen = { before: '' };
    return {
      seen,
      calls: [sh('echo "[selection]" > .oxydra/agent.toml; echo "rc=$?"')],
      prepare: (env) => {
        seen.before = sha(join(env.workspace, '.oxydra/agent.toml'));
      },
    };
  });
  it('shell_exec overwriting .oxydra/agent.toml does not change the real config', () => {
    const a = configOverwrite();
    shellOutput(a);
    expect(a.seen.before).not.toBe('');
    expect(sha(join(a.env.workspace, '.oxydra/agent.toml'))).toBe(a.seen.before);
  });

  const deleteVictim = files.add(() => ({
    calls: [tool('file_delete', { path: '../victim.txt' })],
    prepare: (env) => writeFileSync(join(env.sandbox.root, 'victim.txt'), 'keep me'),
  }));
  it('file_delete of ../victim.txt is refused', () => {
    const a = deleteVictim();
    expectRefused(a);
    expect(readFileSync(join(a.env.sandbox.root, 'victim.txt'), 'utf8')).toBe('keep me');
  });

  const deleteOutside = files.add(() => {
    const { path } = plantOutside('del');
    return { path, calls: [tool('file_delete', { path })] };
  });
  it('file_delete of an absolute outside path is refused', () => {
    const a = deleteOutside();
    expectRefused(a);
    expect(existsSync(a.path)).toBe(true);
  });

  // Last of its batch: were it to succeed, the attacks after it would run without a config.
  const deleteConfig = files.add(() => ({ calls: [tool('file_delete', { path: '.oxydra' })] }));
  it('file_delete of .oxydra is refused', () => {
    const a = deleteConfig();
    expectRefused(a);
    expect(existsSync(join(a.env.workspace, '.oxydra/agent.toml'))).toBe(true);
  });

  // Last of its batch: were it to succeed, it would remove the other attacks' planted files.
  const rmOutside = shell.add(() => {
    const planted = plantOutside('rmrf');
    return { ...planted, calls: [sh(`rm -rfv ${outside} ${planted.path}; echo "rm_rc=$?"`)] };
  });
  it('shell_exec rm -rf of an outside directory removes nothing', () => {
    const a = rmOutside();
    // The host's /var/tmp is not mounted: rm finds nothing to remove (and says nothing).
    expect(shellOutput(a)).not.toContain('removed');
    expect(readFileSync(a.path, 'utf8')).toBe(`original ${a.secret}\n`);
  });
});

describe.skipIf(!hasBwrap)('reads of secrets outside the workspace', () => {
  const files = attackBatch();
  const shell = attackBatch(sandboxToml());

  function plantSsh(home: string): string {
    const secret = marker('ssh');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh/id_rsa'), `-----BEGIN FAKE KEY-----\n${secret}\n-----END FAKE KEY-----\n`);
    return secret;
  }

  const sshRead = files.add(() => {
    const call = tool('file_read', { path: '' });
    const planted = { secret: '' };
    return {
      planted,
      calls: [call],
      prepare: (env) => {
        planted.secret = plantSsh(env.sandbox.home);
        call.arguments.path = join(env.sandbox.home, '.ssh/id_rsa');
      },
    };
  });
  it('file_read of ~/.ssh/id_rsa is refused', () => {
    const a = sshRead();
    expect(a.requests).toContain('.ssh/id_rsa');
    expectRefused(a);
    expect(a.planted.secret).not.toBe('');
    expect(a.requests).not.toContain(a.planted.secret);
  });

  const sshCat = shell.add(() => {
    const call = sh('');
    const planted = { secret: '' };
    return {
      planted,
      calls: [call],
      prepare: (env) => {
        planted.secret = plantSsh(env.sandbox.home);
        call.arguments.command = `cat ${join(env.sandbox.home, '.ssh/id_rsa')} ~/.ssh/id_rsa; echo "rc=$?"`;
      },
    };
  });
  it('shell_exec cat of ~/.ssh/id_rsa (host HOME path and ~) shows no key', () => {
    const a = sshCat();
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.planted.secret).not.toBe('');
    expect(a.requests).not.toContain(a.planted.secret);
  });

  const shadowRead = files.add(() => ({ calls: [tool('file_read', { path: '/etc/shadow' })] }));
  it('file_read of /etc/shadow is refused', () => {
    const a = shadowRead();
    expectRefused(a);
    expect(a.requests).not.toMatch(/root:[^\s"]*:\d+:/);
  });

  const shadowWrite = shell.add(() => ({
    before: sha('/etc/shadow'),
    calls: [sh('echo "pwned::0:0:::::" >> /etc/shadow; echo "w_rc=$?"')],
  }));
  it('shell_exec cannot modify /etc/shadow (read-only host file)', () => {
    const a = shadowWrite();
    expect(shellOutput(a)).toMatch(/w_rc=[1-9]/);
    expect(sha('/etc/shadow')).toBe(a.before);
  });

  const neighbour = shell.add(() => {
    const secret = marker('tmp');
    return {
      secret,
      calls: [sh('cat ../neighbour-secret.txt; echo "rc=$?"')],
      prepare: (env) => writeFileSync(join(env.sandbox.root, 'neighbour-secret.txt'), secret),
    };
  });
  it('shell_exec cat of a marker file next to the workspace (host /tmp) shows nothing', () => {
    const a = neighbour();
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.requests).not.toContain(a.secret);
  });

  /** Appends a comment with a fresh marker to the workspace config (each attack its own). */
  function configWithKey(calls: { name: string; arguments: Record<string, unknown> }[]) {
    const secret = marker('cfg');
    return {
      secret,
      calls,
      prepare: (env: { workspace: string }) => {
        const path = join(env.workspace, '.oxydra/agent.toml');
        writeFileSync(path, `${readFileSync(path, 'utf8')}\n# operator note ${secret}\n`);
      },
    };
  }

  const configRead = files.add(() => configWithKey([tool('file_read', { path: '.oxydra/agent.toml' })]));
  it('file_read of .oxydra/agent.toml (holding a key) is refused', () => {
    const a = configRead();
    expectRefused(a);
    expect(a.requests).not.toContain(a.secret);
  });

  const configCat = shell.add(() =>
    configWithKey([sh('cat .oxydra/agent.toml; ls -la .oxydra; echo "rc=$?"')]),
  );
  it('shell_exec cat of .oxydra/agent.toml shows nothing', () => {
    const a = configCat();
    expect(shellOutput(a)).not.toContain('[providers.registry.mock]');
    expect(a.requests).not.toContain(a.secret);
  });

  const configSearch = files.add(() =>
    configWithKey([tool('file_search', { path: '.', query: 'operator note PWN-cfg' })]),
  );
  it('file_search of the workspace does not reach into .oxydra', () => {
    const a = configSearch();
    expect(a.ends[0]).toBeDefined();
    expect(a.ends[0]!.content).not.toContain('agent.toml');
    expect(a.requests).not.toContain(a.secret);
  });

  const configSearchDir = files.add(() =>
    configWithKey([tool('file_search', { path: '.oxydra', query: 'operator note' })]),
  );
  it('file_search with path .oxydra is refused', () => {
    const a = configSearchDir();
    expectRefused(a);
    expect(a.requests).not.toContain(a.secret);
  });

  function plantUserConfig(home: string): string {
    const secret = marker('ucfg');
    mkdirSync(join(home, '.config/oxydra'), { recursive: true });
    writeFileSync(join(home, '.config/oxydra/agent.toml'), `# user note ${secret}\n`);
    return secret;
  }

  const userConfigRead = files.add(() => {
    const call = tool('file_read', { path: '' });
    const planted = { secret: '' };
    return {
      planted,
      calls: [call],
      prepare: (env) => {
        planted.secret = plantUserConfig(env.sandbox.home);
        call.arguments.path = join(env.sandbox.home, '.config/oxydra/agent.toml');
      },
    };
  });
  it('file_read of ~/.config/oxydra/agent.toml is refused', () => {
    const a = userConfigRead();
    expectRefused(a);
    expect(a.planted.secret).not.toBe('');
    expect(a.requests).not.toContain(a.planted.secret);
  });

  const userConfigCat = shell.add(() => {
    const call = sh('');
    const planted = { secret: '' };
    return {
      planted,
      calls: [call],
      prepare: (env) => {
        planted.secret = plantUserConfig(env.sandbox.home);
        call.arguments.command = `cat ${join(env.sandbox.home, '.config/oxydra/agent.toml')}; echo "rc=$?"`;
      },
    };
  });
  it('shell_exec cat of ~/.config/oxydra/agent.toml (host HOME path) shows nothing', () => {
    const a = userConfigCat();
    expect(shellOutput(a)).toMatch(/rc=[1-9]/);
    expect(a.planted.secret).not.toBe('');
    expect(a.requests).not.toContain(a.planted.secret);
  });

  const environRead = files.add(() => ({ calls: [tool('file_read', { path: '/proc/self/environ' })] }));
  it('file_read of /proc/self/environ is refused', () => {
    const a = environRead();
    expectRefused(a);
    expect(a.requests).not.toContain(E2E_KEY);
  });

  const environShell = shell.add(() => ({
    // The length check cannot be hidden by the output scrubber: a leaked key gives len=25.
    calls: [
      sh(
        'tr "\\0" "\\n" < /proc/self/environ; env; printenv; echo "len=$(printenv MOCK_KEY | wc -c)"; echo "plen=$(tr "\\0" "\\n" < /proc/$PPID/environ | grep -c MOCK_KEY)"',
      ),
    ],
  }));
  it('shell_exec /proc/self/environ, env and printenv show no provider key', () => {
    const a = environShell();
    const out = shellOutput(a);
    expect(out).toContain('len=0');
    expect(out).not.toContain('MOCK_KEY=');
    expect(a.requests).not.toContain(E2E_KEY);
  });
});
