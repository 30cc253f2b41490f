/**
 * `runner logs` over a rotated log (log-sink.ts renames a full file to `<name>.1`): the tail
 * reaches into the rotated file when the current one has too few lines, and a link planted at
 * `<name>.1` is refused without losing the current file's lines.
 */
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLogs } from '@oxydra/runner';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let scratch: TempWorkspace;
let dir: string;
beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-logs-' });
  dir = scratch.dir;
});
afterEach(() => scratch.cleanup());

const messages = async (tail: number) =>
  (await readLogs(dir, { role: 'runtime', stream: 'stdout', tail, format: 'text' })).entries.map(
    (entry) => entry.message,
  );

describe('readLogs over a rotated log', () => {
  it('takes the tail across the rotated file and the current one, oldest first', async () => {
    writeFileSync(join(dir, 'runtime.stdout.log.1'), 'a1\na2\na3\n');
    writeFileSync(join(dir, 'runtime.stdout.log'), 'b1\nb2\n');
    expect(await messages(4)).toEqual(['a2', 'a3', 'b1', 'b2']);
    expect(await messages(2)).toEqual(['b1', 'b2']);
    expect(await messages(10)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
  });

  it('refuses a link at the rotated name, keeping the current lines', async () => {
    writeFileSync(join(dir, 'secret'), 'host secret\n');
    symlinkSync(join(dir, 'secret'), join(dir, 'runtime.stdout.log.1'));
    writeFileSync(join(dir, 'runtime.stdout.log'), 'b1\n');
    const response = await readLogs(dir, { role: 'runtime', stream: 'stdout', tail: 5, format: 'text' });
    expect(response.entries.map((entry) => entry.message)).toEqual(['b1']);
    expect(response.warnings).toEqual([
      expect.stringMatching(/refusing to read .*\.log\.1: it is a symbolic link/),
    ]);
  });
});
