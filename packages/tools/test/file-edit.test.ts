import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
const registry = coreRegistry();
const call = (name: string, args: Record<string, unknown>) => callTool(registry, ws.root, name, args);

beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('file_edit', () => {
  it('replaces the one exact match atomically', async () => {
    ws.write('app.ts', 'const a = 1;\nconst b = 2;\nconst c = 3;\n');
    const outcome = await call('file_edit', {
      path: 'app.ts',
      old_text: 'const b = 2;',
      new_text: 'const b = 20;\nconst bb = 21;',
    });
    expect(outcome).toMatchObject({
      isError: false,
      content: 'Edited app.ts at line 2: replaced 1 line(s) with 2.',
    });
    expect(ws.read('app.ts')).toBe('const a = 1;\nconst b = 20;\nconst bb = 21;\nconst c = 3;\n');
    expect(readdirSync(ws.root)).toEqual(['app.ts']);
  });

  it('treats $ patterns in new_text literally', async () => {
    ws.write('p.txt', 'price: X');
    await call('file_edit', { path: 'p.txt', old_text: 'X', new_text: "$& $1 $$ $'" });
    expect(ws.read('p.txt')).toBe("price: $& $1 $$ $'");
  });

  it('zero matches: tells the model to read and copy the exact text, showing the closest line', async () => {
    ws.write('app.ts', 'function f() {\n    return 1;\n}\n');
    const outcome = await call('file_edit', { path: 'app.ts', old_text: '\treturn 1;\n}', new_text: 'x' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toBe(
      'Tool execution failed: old_text was not found in app.ts. Read the file with file_read and copy the exact text, ' +
        'including whitespace and indentation. Its first line appears at line 2 as "    return 1;"; check the ' +
        'indentation and the lines around it.',
    );
    expect(ws.read('app.ts')).toBe('function f() {\n    return 1;\n}\n');
  });

  it('several matches: says how many and where, and to include more lines', async () => {
    ws.write('dup.txt', 'x = 1\ny = 2\nx = 1\n');
    const outcome = await call('file_edit', { path: 'dup.txt', old_text: 'x = 1', new_text: 'x = 3' });
    expect(outcome.content).toBe(
      'Tool execution failed: old_text matches 2 places in dup.txt (lines 1, 3); include more surrounding lines ' +
        'in old_text so it matches exactly one.',
    );
    expect(ws.read('dup.txt')).toBe('x = 1\ny = 2\nx = 1\n');
  });

  it('matches a \\n snippet in a CRLF file and keeps the file CRLF', async () => {
    ws.write('win.txt', 'one\r\ntwo\r\nthree\r\n');
    await call('file_edit', { path: 'win.txt', old_text: 'one\ntwo', new_text: 'uno\ndos' });
    expect(ws.read('win.txt')).toBe('uno\r\ndos\r\nthree\r\n');
  });

  it('refuses empty old_text, binary files and missing files', async () => {
    ws.write('a.txt', 'a');
    expect((await call('file_edit', { path: 'a.txt', old_text: '', new_text: 'b' })).content).toBe(
      'Invalid arguments for file_edit: old_text: Too small: expected string to have >=1 characters',
    );
    ws.write('bin.dat', Buffer.from([1, 0, 2]));
    expect((await call('file_edit', { path: 'bin.dat', old_text: 'a', new_text: 'b' })).content).toContain(
      'bin.dat looks like a binary file',
    );
    expect((await call('file_edit', { path: 'missing.txt', old_text: 'a', new_text: 'b' })).content).toBe(
      'Tool execution failed: no such file or directory: missing.txt',
    );
  });
});
