/**
 * The macOS backend, on Linux: the Seatbelt profile is checked as text, and the runner's
 * plumbing (argv, clean environment, private HOME, proxy variables) is run for real with a
 * stand-in for /usr/bin/sandbox-exec that records its profile and runs the command.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSeatbeltRunner, seatbeltProfile } from '../src/index.js';
import { policy } from './helpers.js';

const base = { workspace: '/Users/ann/project', tmpDir: '/private/tmp/oxydra-sandbox-x', home: '/Users/ann' };

describe('the Seatbelt profile', () => {
  it('denies by default, writes only to the workspace and its tmp, hides the secrets folders', () => {
    const profile = seatbeltProfile(policy(), base);
    expect(profile.startsWith('(version 1)\n(deny default)\n')).toBe(true);
    expect(profile).toContain(
      '(allow file-write* (subpath "/Users/ann/project") (subpath "/private/tmp/oxydra-sandbox-x")',
    );
    for (const secret of [
      '/Users/ann/.ssh',
      '/Users/ann/.aws',
      '/Users/ann/.config/oxydra',
      '/Users/ann/project/.oxydra',
    ]) {
      expect(profile).toMatch(new RegExp(`\\(deny file-read\\* [^\\n]*\\(subpath "${secret}"\\)`));
      expect(profile).toMatch(new RegExp(`\\(deny file-write\\* [^\\n]*\\(subpath "${secret}"\\)`));
    }
    // Later rules win in SBPL: the denials come after the allowances they narrow.
    expect(profile.indexOf('(deny file-write*')).toBeGreaterThan(profile.indexOf('(allow file-write*'));
    expect(profile.indexOf('(deny file-read*')).toBeGreaterThan(profile.indexOf('(allow file-read*)'));
    expect(profile).toContain('(allow signal (target same-sandbox))');
  });

  it('has no network unless the policy gives it: all of it, or only the proxy port', () => {
    expect(seatbeltProfile(policy(), base)).not.toMatch(/network/);
    expect(seatbeltProfile(policy({ network: { allowHosts: ['*'] } }), base)).toContain('(allow network*)');
    const allowlist = seatbeltProfile(policy({ network: { allowHosts: ['example.com'] } }), {
      ...base,
      proxyPort: 41234,
    });
    expect(allowlist).toContain('(allow network-outbound (remote ip "localhost:41234"))');
    expect(allowlist).not.toContain('(allow network*)');
  });

  it('quotes paths, so a workspace name cannot inject rules', () => {
    const profile = seatbeltProfile(policy(), { ...base, workspace: '/Users/ann/a") (allow network*) ("' });
    expect(profile).not.toContain('(allow network*)\n');
    expect(profile).toContain('(subpath "/Users/ann/a\\") (allow network*) (\\"")');
  });
});

describe('the Seatbelt runner (with a stand-in sandbox-exec)', () => {
  let dir: string;
  let fake: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'oxydra-seatbelt-'));
    fake = path.join(dir, 'sandbox-exec');
    // Records the profile, then runs the command as sandbox-exec would.
    writeFileSync(
      fake,
      `#!/bin/sh\n[ "$1" = "-p" ] || exit 64\nprintf '%s' "$2" > "${dir}/profile.sb"\nshift 2\nexec "$@"\n`,
    );
    chmodSync(fake, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the command with the profile, a clean environment and a private HOME', async () => {
    const workspace = path.join(dir, 'ws');
    const run = createSeatbeltRunner(policy(), { workspace, sandboxExecPath: fake, home: dir });
    mkdirSync(workspace);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    const result = await run('echo "home=$HOME key=${OPENAI_API_KEY:-none} path=$PATH"; exit 3', {
      cwd: workspace,
      env: { PATH: '/usr/bin:/bin', OPENAI_API_KEY: 'sk-must-not-leak' },
      timeoutMs: 10_000,
    });
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('key=none');
    expect(result.output).toContain('path=/usr/bin:/bin');
    expect(result.output).toMatch(/home=\/.*oxydra-sandbox-.*\/home/);
    const profile = readFileSync(path.join(dir, 'profile.sb'), 'utf8');
    expect(profile).toContain(`(subpath "${workspace}")`);
  });
});
