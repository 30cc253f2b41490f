/**
 * Two more real third-party servers over stdio, sandboxed: @modelcontextprotocol/server-filesystem
 * on a folder of the workspace (reads are read_only, writes privileged; an error result is an
 * error; the sandbox keeps it inside what it may see) and @modelcontextprotocol/server-memory
 * (its knowledge graph file in the workspace, written and read back through two calls).
 */
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { McpServerSource } from '../src/index.js';
import {
  call,
  FILESYSTEM,
  MEMORY,
  NODE_MODULES,
  removeWorkspaces,
  said,
  sandboxProblem,
  serverWords,
  sources,
  tool,
  workspace,
} from './helpers.js';

const problem = sandboxProblem();
const opened: McpServerSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(removeWorkspaces);

describe.skipIf(problem !== undefined)(
  `filesystem and memory servers, sandboxed${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    it('server-filesystem: lists, reads, reports errors, and writes only inside the workspace', async () => {
      const ws = workspace();
      const docs = path.join(ws, 'docs');
      mkdirSync(docs);
      writeFileSync(path.join(docs, 'notes.txt'), 'first line\nsecond line\n');
      // As root the sandboxed server runs as the workspace's owner: what it writes must be its own.
      if (process.geteuid?.() === 0) chownSync(docs, 65534, 65534);
      const [source] = sources(
        { files: { command: 'node', args: [FILESYSTEM, docs], read_paths: [NODE_MODULES] } },
        { workspace: ws },
      );
      opened.push(source!);
      await source!.start();
      expect(tool(source!, 'files__read_text_file').safety).toBe('read_only');
      expect(tool(source!, 'files__write_file').safety).toBe('privileged');
      expect(tool(source!, 'files__move_file').safety).toBe('privileged');

      expect((await call(source!, 'files__list_directory', { path: docs })).content).toContain(
        '[FILE] notes.txt',
      );
      expect(
        await said(source!, 'files__read_text_file', { path: path.join(docs, 'notes.txt'), head: 1 }),
      ).toBe('first line');
      const missing = await call(source!, 'files__read_text_file', { path: path.join(docs, 'nope.txt') });
      expect(missing.isError).toBe(true);
      expect(missing.content).toMatch(/ENOENT|no such file/i);

      const written = await call(source!, 'files__write_file', {
        path: path.join(docs, 'new.txt'),
        content: 'made by MCP',
      });
      expect(written).toMatchObject({
        isError: false,
        content: expect.stringContaining('Successfully wrote'),
      });
      expect(readFileSync(path.join(docs, 'new.txt'), 'utf8')).toBe('made by MCP');
      // Outside its allowed folder the server itself refuses.
      const outside = await call(source!, 'files__read_text_file', { path: '/etc/hostname' });
      expect(outside.isError).toBe(true);
      expect(outside.content).toMatch(/outside allowed directories|Access denied/i);
    });

    it('server-filesystem allowed everything still cannot see what the sandbox hides', async () => {
      const ws = workspace();
      const [source] = sources(
        { files: { command: 'node', args: [FILESYSTEM, '/'], read_paths: [NODE_MODULES] } },
        { workspace: ws },
      );
      opened.push(source!);
      await source!.start();
      // The home folder (Oxydra's, /root when run as root) is not mounted: at most the masks over
      // its secret folders (.ssh, .aws, .gnupg, .config/oxydra, .cache/oxydra) show, when the host
      // has them, and nothing of the host's own files.
      const inHome = await call(source!, 'files__list_directory', { path: homedir() });
      if (!inHome.isError) {
        const names = serverWords(source!, inHome.content)
          .split('\n')
          .map((line) => line.replace(/^\[(DIR|FILE)\] /, ''));
        expect(
          names.filter(
            (name) => name !== '' && !['.ssh', '.aws', '.gnupg', '.config', '.cache'].includes(name),
          ),
        ).toEqual([]);
      }
      const home = await call(source!, 'files__list_directory', {
        path: path.join(NODE_MODULES, '..', 'packages'),
      });
      expect(home.isError).toBe(true);
      expect((await call(source!, 'files__list_directory', { path: ws })).isError).toBe(false);
    });

    it('server-memory: stores entities in the workspace and reads them back', async () => {
      const ws = workspace();
      const file = path.join(ws, 'graph.jsonl');
      const [source] = sources(
        {
          memory: {
            command: 'node',
            args: [MEMORY],
            env: { MEMORY_FILE_PATH: file },
            read_paths: [NODE_MODULES],
          },
        },
        { workspace: ws },
      );
      opened.push(source!);
      await source!.start();
      expect(tool(source!, 'memory__create_entities').safety).toBe('privileged');
      expect(tool(source!, 'memory__read_graph').safety).toBe('read_only');
      const created = await call(source!, 'memory__create_entities', {
        entities: [{ name: 'Oxydra', entityType: 'project', observations: ['speaks MCP'] }],
      });
      expect(created.isError).toBe(false);
      const graph = await call(source!, 'memory__read_graph', {});
      expect(graph.content).toContain('speaks MCP');
      expect(readFileSync(file, 'utf8')).toContain('"Oxydra"');
      const bad = await call(source!, 'memory__create_entities', { entities: [{ name: 'x' }] });
      expect(bad.isError).toBe(true);
      expect(bad.content).toContain('Invalid arguments for memory__create_entities');
    });
  },
);
