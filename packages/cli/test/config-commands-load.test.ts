/**
 * The configuration commands read and write TOML: they must not load the kernel. They took the
 * exit code from exit.ts, whose error path named WRITE_FIX from @oxydra/kernel/workspace, so each
 * loaded the kernel's workspace entry (its state, memory and sandbox modules: 62 bundle files
 * against 26 for `config path`).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

/** A string only the kernel's workspace-state module holds (the origin records' tag). */
const loadsKernelState = (urls: string[]) => anyContains(urls, 'oxydra-state-origin-v1');

describe('configuration commands', () => {
  it('do not load the kernel, on success or on a usage error', () => {
    sandbox = new CliSandbox();
    const recorder = moduleRecorder(sandbox.root);
    const run = (...args: string[]) => {
      recorder.clear();
      const result = spawnSync(process.execPath, ['--import', recorder.register, OXYDRA_BIN, ...args], {
        cwd: sandbox!.workspace,
        env: sandbox!.env,
        encoding: 'utf8',
      });
      return { status: result.status, stderr: result.stderr, urls: recorder.loaded() };
    };
    for (const args of [
      ['config', 'path'],
      ['config', 'show'],
      ['config', 'validate'],
      ['config', 'path', '--no-such-flag'],
    ]) {
      const result = run(...args);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(
        args.includes('--no-such-flag') ? 2 : 0,
      );
      expect(loadsKernelState(result.urls), args.join(' ')).toBe(false);
    }
    // The check can tell: a command that opens the kernel's state loads that module.
    const tokens = run('token', 'list');
    expect(tokens.status, tokens.stderr).toBe(0);
    expect(loadsKernelState(tokens.urls)).toBe(true);
  });
});
