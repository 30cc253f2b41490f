/**
 * What the attack battery's files share (attack-battery.test.ts, attack-battery-network.test.ts,
 * attack-battery-limits.test.ts: one battery, split into files that run side by side): the
 * sandbox settings every shell attack runs with, the folder "outside" files are planted in, and
 * the checks of a refused call.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type AttackResult, closeAttack, marker, outsideDir, removeDir } from './attack-helpers.js';

export const hasBwrap = existsSync('/usr/bin/bwrap');

/** Refuse to run commands at all rather than fall back to no sandbox. */
export function sandboxToml(extra = '', shell = 'command_timeout_secs = 10'): string {
  return `\n[tools.sandbox]\nmode = "bubblewrap"\n${extra}\n\n[tools.shell]\n${shell}\n`;
}

export const sh = (command: string) => ({ name: 'shell_exec', arguments: { command } });
export const tool = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });

/** The folder outside every workspace where attacks' targets are planted (made by useBattery). */
export let outside: string;

/** The battery's hooks for one file: its outside folder, and each attack closed after its test. */
export function useBattery(): void {
  beforeAll(() => {
    outside = outsideDir();
  });
  afterAll(() => removeDir(outside));
  afterEach(async () => {
    await closeAttack();
  });
}

export function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** An outside file holding a unique marker; returns its path and marker. */
export function plantOutside(name: string): { path: string; secret: string } {
  const secret = marker(name);
  const path = join(outside, `${name}-${secret.split('-').at(-1)}.txt`);
  writeFileSync(path, `original ${secret}\n`);
  return { path, secret };
}

export function expectRefused(a: AttackResult, index = 0): string {
  const end = a.ends[index];
  expect(end, `tool result ${index}`).toBeDefined();
  expect(end!.isError).toBe(true);
  expect(a.run.status).toBe(0);
  return end!.content;
}

/** A shell_exec result: the run completed and the command's output reached the model. */
export function shellOutput(a: AttackResult, index = 0): string {
  const end = a.ends[index];
  expect(end, `tool result ${index}`).toBeDefined();
  expect(end!.name).toBe('shell_exec');
  expect(a.run.stderr).not.toMatch(/SANDBOX OFF/);
  expect(a.run.status).toBe(0);
  return end!.content;
}
