import { chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCoreTools, fileSearchTool, ToolRegistry } from '../src/index.js';
import { findOnPath } from '../src/search/on-path.js';
import { callTool, makeWorkspace, shellConfig, type Workspace } from './helpers.js';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

const hasRg = findOnPath('rg') !== undefined;

describe.each([
  { backend: 'js' as const, available: true },
  { backend: 'rg' as const, available: hasRg },
])('file_search with the $backend backend', ({ backend, available }) => {
  const registry = () =>
    new ToolRegistry(createCoreTools({ shell: shellConfig(), search: { backend } }), { approval: 'auto' });
  const search = (path: string, query: string) =>
    callTool(registry(), ws.root, 'file_search', { path, query });

  it.skipIf(!available)('finds literal text as "path:line: text" in path order', async () => {
    ws.write('src/b.ts', 'const x = a.b(c);\nnothing here\nconst y = a.b(c);\n');
    ws.write('src/a.ts', 'call a.b(c) once\n');
    ws.write('readme.md', 'no match\n');
    const outcome = await search('.', 'a.b(c)');
    expect(outcome).toMatchObject({
      isError: false,
      content: 'src/a.ts:1: call a.b(c) once\nsrc/b.ts:1: const x = a.b(c);\nsrc/b.ts:3: const y = a.b(c);',
    });
  });

  it.skipIf(!available)('is case-insensitive unless the query has upper case', async () => {
    ws.write('a.txt', 'Hello\nhello\nHELLO\n');
    expect((await search('.', 'hello')).content).toBe('a.txt:1: Hello\na.txt:2: hello\na.txt:3: HELLO');
    expect((await search('.', 'Hello')).content).toBe('a.txt:1: Hello');
  });

  it.skipIf(!available)(
    'honours .gitignore files (nested, negated, folders) and skips .git and .oxydra',
    async () => {
      ws.write('.gitignore', 'node_modules/\n*.log\n!keep.log\n');
      ws.write('node_modules/pkg/index.js', 'needle\n');
      ws.write('debug.log', 'needle\n');
      ws.write('keep.log', 'needle\n');
      ws.write('pkg/.gitignore', 'generated/\n');
      ws.write('pkg/generated/out.js', 'needle\n');
      ws.write('pkg/src/main.js', 'needle\n');
      ws.write('.git/config', 'needle\n');
      ws.write('.oxydra/agent.toml', 'needle\n');
      ws.write('.github/workflow.yml', 'needle\n');
      expect((await search('.', 'needle')).content).toBe(
        '.github/workflow.yml:1: needle\nkeep.log:1: needle\npkg/src/main.js:1: needle',
      );
      // The root .gitignore still applies when searching a subfolder.
      ws.write('pkg/src/trace.log', 'needle\n');
      expect((await search('pkg', 'needle')).content).toBe('pkg/src/main.js:1: needle');
    },
  );

  it.skipIf(!available)('skips binary files', async () => {
    ws.write('bin.dat', Buffer.concat([Buffer.from('needle\n'), Buffer.from([0, 1, 2])]));
    ws.write('text.txt', 'needle\n');
    expect((await search('.', 'needle')).content).toBe('text.txt:1: needle');
  });

  it.skipIf(!available)('searches one file when the path names it', async () => {
    ws.write('a.txt', 'x needle\n');
    ws.write('b.txt', 'y needle\n');
    expect((await search('b.txt', 'needle')).content).toBe('b.txt:1: y needle');
  });

  it.skipIf(!available)('stops at 200 matches and says so', async () => {
    ws.write('many.txt', 'hit\n'.repeat(250));
    const lines = (await search('.', 'hit')).content.split('\n');
    expect(lines).toHaveLength(201);
    expect(lines[199]).toBe('many.txt:200: hit');
    expect(lines[200]).toBe('[stopped at 200 matches; search a narrower path or a more specific query]');
  });

  it.skipIf(!available)('says when nothing matches, and refuses paths outside', async () => {
    ws.write('a.txt', 'abc\n');
    expect((await search('.', 'zzz')).content).toBe('No matches for "zzz" in the workspace.');
    expect((await search('..', 'abc')).content).toContain('path escapes the workspace: ..');
    expect((await search('missing', 'abc')).content).toBe(
      'Tool execution failed: no such file or directory: missing',
    );
  });

  it.skipIf(!available)('does not follow symlinks out of the folder being searched', async () => {
    ws.write('a.txt', 'needle\n');
    symlinkSync(ws.outside, join(ws.root, 'out'));
    ws.write('../outside/secret.txt', 'needle\n');
    expect((await search('.', 'needle')).content).toBe('a.txt:1: needle');
  });
});

describe('file_search backend choice', () => {
  it('uses the given rg binary and parses its JSON stream', async () => {
    const fake = ws.write(
      '../fake-rg',
      '#!/bin/sh\nprintf \'%s\\n\' \'{"type":"match","data":{"path":{"text":"./from-fake.txt"},"lines":{"text":"fake line\\n"},"line_number":7}}\'\n',
    );
    chmodSync(fake, 0o755);
    const registry = new ToolRegistry([fileSearchTool({ rgPath: fake })]);
    const outcome = await callTool(registry, ws.root, 'file_search', { path: '.', query: 'x' });
    expect(outcome.content).toBe('from-fake.txt:7: fake line');
  });

  it('looks for rg on PATH at the first search, not when the tool is made', async () => {
    const bin = join(ws.base, 'bin');
    const fake = ws.write(
      '../bin/rg',
      '#!/bin/sh\nprintf \'%s\\n\' \'{"type":"match","data":{"path":{"text":"./late.txt"},"lines":{"text":"late\\n"},"line_number":1}}\'\n',
    );
    chmodSync(fake, 0o755);
    const saved = process.env.PATH;
    process.env.PATH = join(ws.base, 'empty');
    try {
      const registry = new ToolRegistry([fileSearchTool()]);
      process.env.PATH = bin;
      const outcome = await callTool(registry, ws.root, 'file_search', { path: '.', query: 'x' });
      expect(outcome.content).toBe('late.txt:1: late');
    } finally {
      process.env.PATH = saved;
    }
  });

  it('reports a missing rg binary', async () => {
    const registry = new ToolRegistry([fileSearchTool({ rgPath: join(ws.base, 'no-rg') })]);
    const outcome = await callTool(registry, ws.root, 'file_search', { path: '.', query: 'x' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain('could not run');
  });

  it('refuses backend "rg" when rg is not on PATH', () => {
    const saved = process.env.PATH;
    process.env.PATH = ws.base;
    try {
      expect(() => fileSearchTool({ backend: 'rg' })).toThrow('ripgrep (rg) is not installed');
    } finally {
      process.env.PATH = saved;
    }
  });
});
