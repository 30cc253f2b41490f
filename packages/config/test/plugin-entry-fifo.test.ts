/**
 * A plugin's package.json that is a FIFO (planted in a cloned workspace's node_modules, or in a
 * plugin folder the configuration names): readFileSync, and node's own resolver, opened it with
 * a blocking open and waited for a writer forever, so every command that resolved plugins hung.
 * Now it is one line naming the file. The call runs in a child process of its own: a read that
 * blocks would block the test's thread too, where no test timeout could end it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';

let ws: TempWorkspace | undefined;
const children: ChildProcess[] = [];
const fifos: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  // A reader the old code left waiting gets its end of file.
  for (const fifo of fifos.splice(0)) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
  ws?.cleanup();
  ws = undefined;
});

/** pluginEntryFile(from, workspace) in a child process: its result or error message. */
function entryInChild(from: string, workspace: string): Promise<string> {
  const code = `import { pluginEntryFile } from '@oxydra/config';
try { console.log('entry ' + pluginEntryFile(${JSON.stringify(from)}, ${JSON.stringify(workspace)}, 'helper')); }
catch (error) { console.log(error.message); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: import.meta.dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((done) => child.on('exit', () => done(out.trim())));
}

function plantFifo(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  fifos.push(path);
}

describe('a plugin package.json that is a FIFO', () => {
  const cases = [
    {
      where: 'in the workspace node_modules',
      from: 'oxydra-plugin-helper',
      folder: 'node_modules/oxydra-plugin-helper',
    },
    { where: 'in a plugin folder named by path', from: './plugins/helper', folder: 'plugins/helper' },
  ];
  for (const { where, from, folder } of cases) {
    it(`${where} is an error naming it, not a hang`, { timeout: 20_000 }, async () => {
      ws = tempWorkspace();
      const manifest = ws.path(folder, 'package.json');
      plantFifo(manifest);
      expect(await entryInChild(from, ws.dir)).toBe(
        `plugin helper: ${manifest} is not a regular file (a FIFO, socket or device?)`,
      );
    });
  }

  it('a regular package.json still gives its entry', { timeout: 20_000 }, async () => {
    ws = tempWorkspace();
    ws.write('node_modules/oxydra-plugin-helper/package.json', '{"type":"module","exports":"./main.js"}');
    const main = ws.write('node_modules/oxydra-plugin-helper/main.js', 'export default {};');
    expect(await entryInChild('oxydra-plugin-helper', ws.dir)).toBe(`entry ${main}`);
  });
});
