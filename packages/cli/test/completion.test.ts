/**
 * Issue 31, item 9: `oxydra completion bash|zsh|fish`, each script loaded into the real shell
 * and asked to complete: commands, a group's subcommands, a command's options. (CI installs
 * zsh and fish; where a shell is missing its case says so and is skipped.)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

function script(shell: string): string {
  sandbox ??= new CliSandbox();
  const made = sandbox.run('completion', shell);
  expect(made.status, made.stderr).toBe(0);
  const file = join(sandbox.root, `oxydra.${shell}`);
  writeFileSync(file, made.stdout);
  return file;
}

describe('oxydra completion', () => {
  it('bash: commands, a group’s subcommands and a command’s options', () => {
    const bash = (words: string[]) => {
      const file = script('bash');
      const quoted = words.map((word) => `'${word}'`).join(' ');
      const run = spawnSync(
        'bash',
        [
          '-c',
          `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _oxydra; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      );
      return run.stdout.trim().split(/\s+/).filter(Boolean);
    };
    expect(bash(['oxydra', 'con'])).toEqual(['config']);
    expect(bash(['oxydra', 'config', 's'])).toEqual(['show', 'set']);
    expect(bash(['oxydra', 'checkpoints', 'diff', '--s'])).toEqual(['--stat']);
    // Options of the command, after the global --trust flag.
    expect(bash(['oxydra', '--trust', 'run', '--mo'])).toEqual(['--model']);
    expect(bash(['oxydra', 'completion', ''])).toEqual([]);
    // Commands --help hides (the runner's internals) are not offered either.
    expect(bash(['oxydra', 'g'])).toEqual(['gateway']);
    expect(bash(['oxydra', 's'])).not.toContain('shell-daemon');
    expect(bash(['oxydra', 'runner', 'd'])).toEqual([]);
  });

  it.skipIf(!has('zsh'))(
    'zsh (bashcompinit): the group’s subcommands, zsh filtering by prefix itself',
    () => {
      const file = script('zsh');
      const run = spawnSync(
        'zsh',
        [
          '-c',
          `source '${file}'; COMP_WORDS=(oxydra config s); COMP_CWORD=2; _oxydra; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: sandbox!.home } },
      );
      const words = run.stdout.trim().split(/\s+/);
      expect(words).toEqual(expect.arrayContaining(['show', 'set', 'get', 'unset']));
      expect(words).not.toContain('run');
    },
  );

  it.skipIf(!has('fish'))('fish: subcommands with their descriptions, and options', () => {
    const file = script('fish');
    const complete = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], {
        encoding: 'utf8',
        cwd: sandbox!.root,
        env: { PATH: process.env.PATH, HOME: sandbox!.home },
      }).stdout;
    const config = complete('oxydra config s');
    expect(config).toMatch(/^set\tset one key in the workspace's/m);
    expect(config).toMatch(/^show\t/m);
    expect(config).not.toMatch(/^run\t/m);
    expect(complete('oxydra checkpoints diff --s')).toMatch(/^--stat\tonly the changed paths/m);
  });

  it('an unknown shell is a usage error', () => {
    sandbox = new CliSandbox();
    const run = sandbox.run('completion', 'tcsh');
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('error: no completion for the shell "tcsh"\n  hint: choose bash, zsh or fish\n');
  });
});
