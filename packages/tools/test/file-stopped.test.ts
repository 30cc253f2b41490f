/**
 * A file tool reported as stopped has no later effect. The registry aborts a tool's signal when
 * it times out (or the run is cancelled); a file tool whose signal is aborted before its commit
 * (the rename, the unlink) changes nothing and leaves no temporary file behind. And the registry
 * answers with what really happened: a tool that committed just as it was stopped is reported
 * as done, not as timed out.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCoreTools, defineTool, ToolRegistry } from '../src/index.js';
import { makeWorkspace, shellConfig, type Workspace } from './helpers.js';

let ws: Workspace;
let vault: string;
let tools: Tool[];
beforeEach(() => {
  ws = makeWorkspace();
  vault = join(ws.base, 'vault');
  mkdirSync(vault);
  writeFileSync(join(vault, 'doc.txt'), 'vault text\n');
  ws.write('keep.txt', 'model = "a"\n');
  ws.write('tree/a/one.txt', '1');
  ws.write('tree/b/two.txt', '2');
  tools = createCoreTools({ shell: shellConfig(), vault: { path: vault } });
});
afterEach(() => ws.cleanup());

/** Runs the tool and aborts its signal right after it starts, before any of its I/O is done. */
async function stoppedAtOnce(name: string, args: Record<string, unknown>): Promise<unknown> {
  const tool = tools.find((candidate) => candidate.name === name)!;
  const controller = new AbortController();
  const running = tool.execute(args, { workspace: ws.root, signal: controller.signal });
  controller.abort(new Error('timed out'));
  return running.then(
    () => 'finished',
    (error: Error) => error.message,
  );
}

/** Every file and folder under the workspace, files with their content: temporary files show. */
function snapshot(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const entry of readdirSync(ws.root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(ws.root.length + 1);
    entries[path] = entry.isFile() ? ws.read(path) : '(folder)';
  }
  return entries;
}

describe('a file tool stopped before its commit', () => {
  it.each([
    ['file_write', { path: 'keep.txt', content: 'changed' }, 'keep.txt'],
    ['file_write', { path: 'new/dir/file.txt', content: 'new' }, 'new/dir/file.txt'],
    ['file_edit', { path: 'keep.txt', old_text: '"a"', new_text: '"b"' }, 'keep.txt'],
    ['file_delete', { path: 'keep.txt' }, 'keep.txt'],
    ['file_delete', { path: 'tree' }, 'tree'],
    ['vault_copyto', { source_path: '/vault/doc.txt', destination_path: 'copy.txt' }, 'copy.txt'],
  ])('%s %j changes nothing', async (name, args, shown) => {
    const before = snapshot();
    expect(await stoppedAtOnce(name, args)).toBe(`stopped before changing ${shown}; nothing was changed`);
    expect(snapshot()).toEqual(before);
  });
});

describe('the registry after a timeout', () => {
  /** A tool that does `onAbort` when its signal aborts (and nothing before). */
  const untilStopped = (
    name: string,
    onAbort: (resolve: (text: string) => void, reject: (error: Error) => void) => void,
  ) =>
    defineTool({
      name,
      description: 'waits to be stopped',
      parameters: z.object({}),
      safety: 'side_effecting',
      timeoutMs: 20,
      execute: (_args, ctx) =>
        new Promise<string>((resolve, reject) =>
          ctx.signal.addEventListener('abort', () => onAbort(resolve, reject)),
        ),
    });
  // As a tool whose commit was already under way when it was stopped.
  const finishing = untilStopped('finishing', (resolve) => resolve('committed'));
  // As a tool that stops, changing nothing.
  const stopping = untilStopped('stopping', (_resolve, reject) => reject(new Error('stopped')));
  const run = (name: string) =>
    new ToolRegistry([finishing, stopping]).execute(
      { id: 'c1', name, arguments: {} },
      { workspace: ws.root, signal: new AbortController().signal },
    );

  it('reports a tool that finished as it was stopped as done, since its change happened', async () => {
    expect(await run('finishing')).toMatchObject({ isError: false, content: 'committed' });
  });

  it('reports a tool that stopped as timed out', async () => {
    expect(await run('stopping')).toMatchObject({
      isError: true,
      content: 'stopping timed out after 0.02 s',
    });
  });
});
