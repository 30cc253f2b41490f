import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYNC_READ_MAX_BYTES } from '../src/fs/anchored.js';
import { createCoreTools, ToolRegistry } from '../src/index.js';
import { callTool, coreRegistry, makeWorkspace, shellConfig, type Workspace } from './helpers.js';

let ws: Workspace;
const registry = coreRegistry();
const read = (args: Record<string, unknown>, tools = registry) => callTool(tools, ws.root, 'file_read', args);
const numbered = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`);

beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('file_read', () => {
  it('returns a small file whole and exactly as stored', async () => {
    const text = 'first\n  indented\r\nlast without newline';
    ws.write('notes/a.txt', text);
    expect(await read({ path: 'notes/a.txt' })).toMatchObject({ isError: false, content: text });
  });

  it('says when a file is empty', async () => {
    ws.write('empty.txt', '');
    expect((await read({ path: 'empty.txt' })).content).toBe('empty.txt is empty.');
  });

  it('pages with offset and limit, with a header that says how to read on', async () => {
    ws.write('ten.txt', `${numbered(10).join('\n')}\n`);
    expect((await read({ path: 'ten.txt', offset: 3, limit: 2 })).content).toBe(
      '[ten.txt: lines 3-4 of 10; to read on, call file_read with offset=5]\nline 3\nline 4',
    );
    expect((await read({ path: 'ten.txt', offset: 9 })).content).toBe(
      '[ten.txt: lines 9-10 of 10]\nline 9\nline 10',
    );
  });

  it('returns the first page of a long file and says how to page', async () => {
    const digits = Array.from({ length: 2500 }, (_, i) => String(i % 10)); // 2 bytes a line: the line cap binds
    ws.write('long.txt', digits.join('\n'));
    const outcome = await read({ path: 'long.txt' });
    const [header, ...lines] = outcome.content.split('\n');
    expect(header).toBe('[long.txt: lines 1-2000 of 2500; to read on, call file_read with offset=2001]');
    expect(lines).toEqual(digits.slice(0, 2000));
    const next = await read({ path: 'long.txt', offset: 2001 });
    expect(next.content.split('\n')[0]).toBe('[long.txt: lines 2001-2500 of 2500]');
  });

  it('stops a page at the default 15000-byte cap before the line cap', async () => {
    ws.write('big.txt', numbered(2000).join('\n')); // about 18 KB
    const outcome = await read({ path: 'big.txt' });
    const header = outcome.content.split('\n')[0] ?? '';
    const last = Number(/lines 1-(\d+) of 2000/.exec(header)?.[1]);
    expect(last).toBeLessThan(2000);
    expect(header).toContain(`offset=${last + 1}`);
    expect(Buffer.byteLength(outcome.content)).toBeLessThanOrEqual(15_000 + header.length + 1);
  });

  it('keeps a page under the byte cap, cutting at whole lines', async () => {
    const tools = new ToolRegistry(createCoreTools({ shell: shellConfig(), read: { maxBytes: 100 } }));
    ws.write('wide.txt', Array.from({ length: 20 }, (_, i) => `${i}`.padStart(29, '-')).join('\n'));
    const outcome = await read({ path: 'wide.txt' }, tools);
    // 30 bytes per line with its newline: three lines fit in 100 bytes.
    expect(outcome.content.split('\n')).toEqual([
      '[wide.txt: lines 1-3 of 20; to read on, call file_read with offset=4]',
      `${'-'.repeat(28)}0`,
      `${'-'.repeat(28)}1`,
      `${'-'.repeat(28)}2`,
    ]);
  });

  it('shows the start of a single line longer than the cap and says it is cut', async () => {
    const tools = new ToolRegistry(createCoreTools({ shell: shellConfig(), read: { maxBytes: 10 } }));
    ws.write('min.js', `${'é'.repeat(50)}\nnext`);
    const outcome = await read({ path: 'min.js' }, tools);
    expect(outcome.content).toBe(
      `[min.js: lines 1-1 of 2; line 1 is longer than 10 bytes and is cut; to read on, call file_read with offset=2]\n${'é'.repeat(5)}`,
    );
  });

  it('refuses an offset past the end', async () => {
    ws.write('three.txt', 'a\nb\nc\n');
    expect(await read({ path: 'three.txt', offset: 4 })).toMatchObject({
      isError: true,
      content: 'Tool execution failed: offset 4 is past the end of three.txt, which has 3 lines',
    });
  });

  it('refuses binary files: NUL bytes and invalid UTF-8', async () => {
    ws.write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    expect((await read({ path: 'image.png' })).content).toBe(
      'Tool execution failed: image.png looks like a binary file (it contains NUL bytes); file_read works on UTF-8 text only',
    );
    ws.write('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect((await read({ path: 'latin1.txt' })).content).toContain('latin1.txt is not valid UTF-8 text');
  });

  it('names missing files and directories in workspace terms', async () => {
    expect((await read({ path: 'nope.txt' })).content).toBe(
      'Tool execution failed: no such file or directory: nope.txt',
    );
    ws.write('dir/x', '');
    expect((await read({ path: 'dir' })).content).toBe(
      'Tool execution failed: dir is a directory; list it with file_list',
    );
  });

  it('reads a file past the synchronous read size whole (that read goes through the thread pool)', async () => {
    const lines = numbered(Math.ceil((3 * SYNC_READ_MAX_BYTES) / 10));
    ws.write('large.txt', `${lines.join('\n')}\n`);
    expect(Buffer.byteLength(ws.read('large.txt'))).toBeGreaterThan(2 * SYNC_READ_MAX_BYTES);
    const last = await read({ path: 'large.txt', offset: lines.length - 1 });
    expect(last.content.split('\n').slice(1)).toEqual(lines.slice(-2));
    // file_edit reads the same way, and writes back what it read plus the change.
    const edited = await callTool(registry, ws.root, 'file_edit', {
      path: 'large.txt',
      old_text: `${lines.at(-1)}\n`,
      new_text: 'the end\n',
    });
    expect(edited.isError, edited.content).toBe(false);
    expect(ws.read('large.txt')).toBe(`${[...lines.slice(0, -1), 'the end'].join('\n')}\n`);
  });

  // Linux: the process's open descriptors are listed under /proc/self/fd.
  it.runIf(process.platform === 'linux')('closes every file it opens, refused ones included', async () => {
    ws.write('small.txt', 'small\n');
    ws.write('large.txt', 'x'.repeat(2 * SYNC_READ_MAX_BYTES));
    ws.write('binary.bin', Buffer.from([1, 0, 2]));
    ws.write('dir/inside.txt', '');
    truncateSync(ws.write('huge.txt', ''), 40 * 1024 * 1024); // sparse, over the 32 MB cap
    expect(spawnSync('mkfifo', [join(ws.root, 'pipe')]).status).toBe(0);
    // Each descriptor with what it leads to: in a worker other test files share, one of theirs
    // may close meanwhile, so the check is that none is open after that was not open before.
    const openFiles = () =>
      new Set(
        readdirSync('/proc/self/fd').flatMap((fd) => {
          try {
            return [`${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`];
          } catch {
            return []; // the listing's own descriptor, closed once read
          }
        }),
      );
    await read({ path: 'small.txt' }); // anything opened once for good (the thread pool) first
    const before = openFiles();
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      for (const path of ['small.txt', 'large.txt', 'binary.bin', 'dir', 'huge.txt', 'pipe', 'missing.txt']) {
        outcomes.push(await read({ path }));
      }
    }
    expect(outcomes.filter((outcome) => !outcome.isError)).toHaveLength(10);
    expect(outcomes.find((outcome) => outcome.content.includes('pipe'))?.content).toContain(
      'not a regular file (FIFO)',
    );
    expect(outcomes.find((outcome) => outcome.content.includes('huge.txt'))?.content).toContain(
      'up to 33554432 bytes',
    );
    expect([...openFiles()].filter((fd) => !before.has(fd))).toEqual([]);
  });

  it('refuses paths outside the workspace', async () => {
    ws.write('../outside/secret.txt', 'secret');
    expect((await read({ path: '../outside/secret.txt' })).content).toContain(
      'path escapes the workspace: ../outside/secret.txt',
    );
    expect((await read({ path: '/etc/hostname' })).isError).toBe(true);
    symlinkSync(join(ws.outside, 'secret.txt'), join(ws.root, 'link.txt'));
    expect((await read({ path: 'link.txt' })).content).toContain('path escapes the workspace: link.txt');
  });
});
