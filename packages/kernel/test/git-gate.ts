/**
 * A `git` first on PATH that runs the real git and, for the commands named, swaps something in
 * the workspace at a fixed point of their input, as a command of another turn running meanwhile
 * would: after the first `feed` records of stdin (paths for `checkout-index -z --stdin`, shas
 * for `cat-file --batch`) reached git, once `waitFor` exists. The first such call swaps; later
 * ones only pass through. Git, files and links are real; only the swap's moment is chosen.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

export interface Gate {
  /** Words of the git command line that pick the calls to gate (`--batch`, `checkout-index`). */
  readonly commands: readonly string[];
  /** Records of stdin fed to git before the swap (NUL- or newline-ended). */
  readonly feed: number;
  /** Waited for (polled) before the swap: what git or Oxydra writes for those records. */
  readonly waitFor?: string;
  /** A shell command. */
  readonly swap: string;
}

const GATE_SCRIPT = `
const { spawn, execFileSync } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const gate = JSON.parse(GATE_JSON);
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  const input = Buffer.concat(chunks);
  const first = existsSync(gate.done) ? input.length : cutAfter(input, gate.feed);
  const child = spawn(gate.git, process.argv.slice(2), { stdio: ['pipe', 'inherit', 'inherit'] });
  child.on('close', (code) => process.exit(code ?? 1));
  child.stdin.write(input.subarray(0, first));
  if (!existsSync(gate.done)) {
    writeFileSync(gate.done, '');
    // Bounded: a write that never comes fails the test's assertions instead of hanging it.
    const deadline = Date.now() + 10000;
    while (gate.waitFor && !existsSync(gate.waitFor) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    execFileSync('/bin/sh', ['-c', gate.swap]);
  }
  child.stdin.end(input.subarray(first));
});
function cutAfter(input, records) {
  let at = 0;
  for (let i = 0; i < records && at < input.length; i++) {
    while (at < input.length && input[at] !== 0 && input[at] !== 10) at++;
    at++;
  }
  return Math.min(at, input.length);
}
`;

/**
 * A `git` in `bin` that writes each command line it is given to `bin/log` and runs the real git;
 * returns a reader of those commands (without the `-c` settings every call passes).
 */
export function logGitCalls(bin: string): () => string[] {
  const log = join(bin, 'log');
  writeFileSync(log, '');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec ${REAL_GIT} "$@"\n`, {
    mode: 0o755,
  });
  return () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/(-c \S+ )+/, ''));
}

/** A restore's writes gated: `swap` runs once its first file (`written`) is in place. */
export function swapOnceWritten(bin: string, written: string, swap: string, path: string): string {
  return gateGit(bin, { commands: ['checkout-index', '--batch'], feed: 1, waitFor: written, swap }, path);
}

/** The shell command that moves `<root>/<name>` aside (`.moved`) and puts a link to `target` there. */
export function linkInstead(root: string, name: string, target: string): string {
  return `mv ${root}/${name} ${root}/${name}.moved && ln -s ${target} ${root}/${name}`;
}

/** Writes the wrapper into `bin` and returns the PATH to set (bin first). */
export function gateGit(bin: string, gate: Gate, path: string): string {
  const config = { ...gate, git: REAL_GIT, done: join(bin, 'swapped') };
  const script = GATE_SCRIPT.replace('GATE_JSON', JSON.stringify(JSON.stringify(config)));
  writeFileSync(join(bin, 'gate.cjs'), script);
  const cases = gate.commands.map((word) => `*" ${word} "*`).join('|');
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/sh\ncase " $* " in ${cases}) exec '${process.execPath}' '${join(bin, 'gate.cjs')}' "$@" ;; esac\nexec '${REAL_GIT}' "$@"\n`,
    { mode: 0o755 },
  );
  return `${bin}:${path}`;
}
