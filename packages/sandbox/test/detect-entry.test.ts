/**
 * `@oxydra/sandbox/detect` is what every run imports at start: it must not load the code that
 * runs commands, and the runner it hands out must load that code with its first command.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { runnerAtFirstCommand } from '../src/exports/detect.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SANDBOX_DIST = path.join(REPO, 'packages/sandbox/dist');

/** The sandbox modules a fresh node process loads running `script`, from V8's coverage of it. */
function sandboxModulesLoaded(script: string): string[] {
  const coverage = tempWorkspace({ prefix: 'oxydra-detect-entry-' });
  try {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
      env: { ...process.env, NODE_V8_COVERAGE: coverage.dir },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const urls = readdirSync(coverage.dir).flatMap(
      (file) =>
        (JSON.parse(readFileSync(path.join(coverage.dir, file), 'utf8')) as { result: { url: string }[] })
          .result,
    );
    return urls
      .map(({ url }) => url)
      .filter((url) => url.startsWith('file:'))
      .map((url) => path.relative(SANDBOX_DIST, fileURLToPath(url)))
      .filter((file) => !file.startsWith('..'))
      .sort();
  } finally {
    coverage.cleanup();
  }
}

const RUNNING_CODE = [
  'runner.js',
  'warm-sandbox.js',
  'egress/proxy.js',
  'seccomp.js',
  'args.js',
  'limits.js',
];

describe('@oxydra/sandbox/detect', () => {
  it('loads detection without the runners, the egress proxy or seccomp', () => {
    const loaded = sandboxModulesLoaded(
      "const s = await import('@oxydra/sandbox/detect'); s.detectSandbox(s.BWRAP, undefined, { cacheDir: false }); s.homeSecretPaths('/home/x');",
    );
    expect(loaded).toContain('detect.js');
    for (const file of RUNNING_CODE) expect(loaded).not.toContain(file);
    // The package's index, for contrast, loads all of them.
    const all = sandboxModulesLoaded("await import('@oxydra/sandbox');");
    for (const file of RUNNING_CODE) expect(all).toContain(file);
  });

  // Skipped only where bubblewrap is absent: there is nothing to run the command with.
  it.skipIf(!HAS_BWRAP)('hands out a bubblewrap runner that works once its code has loaded', async () => {
    const f: Fixture = fixture();
    try {
      const run = runnerAtFirstCommand('bubblewrap', policy(), { workspace: f.workspace });
      const options = {
        cwd: f.workspace,
        env: { PATH: '/usr/bin:/bin' },
        timeoutMs: 20_000,
        killGraceMs: 500,
      };
      const first = await run('pwd', options);
      expect(first.exitCode).toBe(0);
      expect(first.output.trim()).toBe(f.workspace);
      const second = await run('echo again', options);
      expect(second.output).toBe('again\n');
    } finally {
      f.cleanup();
    }
  });
});
