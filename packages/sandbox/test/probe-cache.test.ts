import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBubblewrapRunner,
  detectSandbox,
  probeCacheFile,
  probeCacheKey,
  probeSandbox,
  seccompProgram,
} from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

// The probe, the cache file and the sandbox are all real: a wrapper script stands in for bwrap
// only to count how often the probe really starts it.
const BWRAP_WORKS =
  HAS_BWRAP && probeSandbox('/usr/bin/bwrap', undefined, { cacheDir: false }).tier === 'bubblewrap';
const IS_ROOT = process.geteuid?.() === 0;

let f: Fixture;
let cacheDir: string;
let bin: string;
let log: string;
beforeEach(() => {
  f = fixture();
  cacheDir = path.join(f.root, 'cache', 'oxydra');
  bin = path.join(f.root, 'bin');
  mkdirSync(bin);
  log = path.join(f.root, 'bwrap.log');
});
afterEach(() => f.cleanup());

/** A bwrap that logs each start, then runs the real one (or fails as a broken one would). */
function wrapper(name: string, works = true): string {
  const file = path.join(bin, name);
  const body = works ? 'exec /usr/bin/bwrap "$@"' : 'echo "bwrap: Creating new namespace failed" >&2; exit 1';
  writeFileSync(file, `#!/bin/sh\necho started >> '${log}'\n${body}\n`, { mode: 0o755 });
  return file;
}

const starts = (): number =>
  existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;

describe.skipIf(!BWRAP_WORKS || process.platform !== 'linux')('the bubblewrap probe cache', () => {
  it('probes once, then answers from a private file until the binary changes', () => {
    const bwrap = wrapper('bwrap');
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(1);
    const file = probeCacheFile(cacheDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);

    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(1);

    // A new bwrap (an upgrade): other size and mtime, so probed again.
    writeFileSync(bwrap, `${readFileSync(bwrap, 'utf8')}# upgraded\n`);
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
    // The same size, only touched: probed again too.
    const later = new Date(Date.now() + 60_000);
    utimesSync(bwrap, later, later);
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(3);
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(3);
  });

  it('keys the answer on the binary path and the uid commands run as', () => {
    const a = wrapper('bwrap-a');
    const b = wrapper('bwrap-b');
    probeSandbox(a, undefined, { cacheDir });
    probeSandbox(b, undefined, { cacheDir });
    expect(starts()).toBe(2);
    expect(probeCacheKey(a, undefined)).not.toBe(probeCacheKey(b, undefined));
    expect(probeCacheKey(a, undefined)).not.toBe(probeCacheKey(a, { uid: 65534, gid: 65534 }));
    expect(probeCacheKey(a, undefined)).toContain(`uid=${process.geteuid?.()}`);
  });

  it('a fresh probe (doctor) starts bwrap whatever the cache says, and its answer is what counts', () => {
    const bwrap = wrapper('bwrap');
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(probeSandbox(bwrap, undefined, { cacheDir, fresh: true }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
    // The machine breaks in a way the cache key cannot see (the binary untouched; here a switch
    // file the wrapper reads stands for an AppArmor profile or a kernel change).
    const switchFile = path.join(f.root, 'broken');
    writeFileSync(
      bwrap,
      readFileSync(bwrap, 'utf8').replace('exec ', `[ -e '${switchFile}' ] && exit 1\nexec `),
    );
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(3);
    writeFileSync(switchFile, '');
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(3);
    expect(probeSandbox(bwrap, undefined, { cacheDir, fresh: true }).tier).toBe('none');
    expect(starts()).toBe(4);
  });

  it('detectSandbox with fresh skips its per-process answer too, and keeps the new one', () => {
    const bwrap = wrapper('bwrap-fresh');
    expect(detectSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(detectSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(1);
    expect(detectSandbox(bwrap, undefined, { cacheDir, fresh: true }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
    expect(detectSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
  });

  it('never remembers a failure: a fixed machine is seen at once', () => {
    const broken = wrapper('bwrap', false);
    expect(probeSandbox(broken, undefined, { cacheDir }).tier).toBe('none');
    expect(probeSandbox(broken, undefined, { cacheDir }).tier).toBe('none');
    expect(starts()).toBe(2);
    expect(existsSync(probeCacheFile(cacheDir))).toBe(false);
  });

  it('ignores a cache file others may write, and replaces it', () => {
    const bwrap = wrapper('bwrap');
    probeSandbox(bwrap, undefined, { cacheDir });
    const file = probeCacheFile(cacheDir);
    chmodSync(file, 0o666);
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(probeSandbox(bwrap, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(2);
  });

  it('ignores a cache file in a folder others may write', () => {
    const bwrap = wrapper('bwrap');
    probeSandbox(bwrap, undefined, { cacheDir });
    chmodSync(cacheDir, 0o777);
    probeSandbox(bwrap, undefined, { cacheDir });
    probeSandbox(bwrap, undefined, { cacheDir });
    expect(starts()).toBe(3);
  });

  it.skipIf(!IS_ROOT)('ignores a cache file owned by another user, even one saying it works', () => {
    const bwrap = wrapper('bwrap');
    probeSandbox(bwrap, undefined, { cacheDir });
    chownSync(probeCacheFile(cacheDir), 65534, 65534);
    probeSandbox(bwrap, undefined, { cacheDir });
    expect(starts()).toBe(2);
    expect(statSync(probeCacheFile(cacheDir)).uid).toBe(0);
  });

  it('ignores a cache file that is a symbolic link, and one for other conditions', () => {
    const bwrap = wrapper('bwrap');
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const elsewhere = path.join(f.root, 'planted.json');
    writeFileSync(elsewhere, JSON.stringify({ key: probeCacheKey(bwrap, undefined), tier: 'bubblewrap' }), {
      mode: 0o600,
    });
    // A link: not followed.
    symlinkSync(elsewhere, probeCacheFile(cacheDir));
    probeSandbox(bwrap, undefined, { cacheDir });
    expect(starts()).toBe(1);
    // Another key (another kernel, say): probed.
    writeFileSync(
      probeCacheFile(cacheDir),
      JSON.stringify({ key: 'format=1\nkernel=other', tier: 'bubblewrap' }),
      {
        mode: 0o600,
      },
    );
    probeSandbox(bwrap, undefined, { cacheDir });
    expect(starts()).toBe(2);
  });

  it('a stale "works" answer still fails closed: the command fails, nothing runs outside the sandbox', async () => {
    // The cache says this bwrap works (as it did when probed), but it has stopped working
    // without its file changing (a sysctl or AppArmor change the key does not see).
    const broken = wrapper('bwrap', false);
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      probeCacheFile(cacheDir),
      JSON.stringify({ key: probeCacheKey(broken, undefined), tier: 'bubblewrap' }),
      { mode: 0o600 },
    );
    expect(probeSandbox(broken, undefined, { cacheDir }).tier).toBe('bubblewrap');
    expect(starts()).toBe(0);

    const run = createBubblewrapRunner(policy({ seccomp: seccompProgram() !== undefined }), {
      workspace: f.workspace,
      home: f.home,
      bwrapPath: broken,
    });
    const marker = path.join(f.workspace, 'ran-on-the-host');
    const result = await run(`touch '${marker}'; echo ran`, {
      cwd: f.workspace,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 20_000,
      killGraceMs: 500,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).not.toMatch(/^ran$/m);
    expect(existsSync(marker)).toBe(false);
    // The command went to (the broken) bwrap, and only there.
    expect(starts()).toBeGreaterThanOrEqual(1);
  });
});
