/**
 * A descriptor Oxydra inherited open without close-on-exec (started from an IDE, a terminal
 * multiplexer, a wrapper's `9</home/me`) must not reach a stdio MCP server: bubblewrap passes
 * what it is given on into the sandbox, where `/proc/self/fd/<n>` leads back out of it. Shell
 * commands were covered (sandbox/inherited-fds.ts); stdio servers, spawned by the SDK's
 * transport, were not. Each case starts a fresh node process holding such a descriptor, as
 * Oxydra would, which starts the trivial server sandboxed and asks it what it holds.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  NODE_MODULES,
  removeWorkspaces,
  sandboxProblem,
  TRIVIAL_SERVER,
  workspace,
} from './helpers.js';

const problem = sandboxProblem();
afterAll(removeWorkspaces);

const mcpDist = new URL('../dist/index.js', import.meta.url).pathname;
const typesDist = new URL('../../types/dist/index.js', import.meta.url).pathname;

/** The number the node process gets it as: high, as inherited ones usually are. */
const INHERITED_AS = 40;

/** The trivial server's `fds` answer, from a node process that inherited `fd` as INHERITED_AS. */
function serverDescriptors(fd: number, server: Record<string, unknown>): string {
  const script = `
    const { mcpToolSources } = await import(${JSON.stringify(mcpDist)});
    const { mcpSchema, toolsSchema } = await import(${JSON.stringify(typesDist)});
    const config = mcpSchema().parse({ servers: { trivial: ${JSON.stringify(server)} } });
    const [source] = mcpToolSources(config, {
      workspace: ${JSON.stringify(workspace())},
      sandbox: toolsSchema().parse({}).sandbox,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    await source.start();
    const fds = source.tools().find((t) => t.name === 'trivial__fds');
    if (!fds) throw new Error('not connected: ' + JSON.stringify(source.health()));
    const result = await fds.execute({}, { workspace: '/', signal: new AbortController().signal });
    process.stdout.write(typeof result === 'string' ? result : result.content);
    await source.close();
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(INHERITED_AS - 3).fill('ignore'), fd],
  });
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('0 -> ');
  return result.stdout;
}

describe.skipIf(problem !== undefined)(
  `descriptors Oxydra inherited${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'oxydra-mcp-outside-'));
    writeFileSync(path.join(outside, 'notes.txt'), 'HOME-SECRET\n');
    afterAll(() => rmSync(outside, { recursive: true, force: true }));

    for (const [name, sandbox] of [
      ['a sandboxed stdio server', true],
      ['an unsandboxed stdio server', false],
    ] as const) {
      it(`never reach ${name}`, () => {
        const held = openSync(outside, 'r');
        try {
          const fds = serverDescriptors(held, {
            command: 'node',
            args: [TRIVIAL_SERVER],
            read_paths: [NODE_MODULES, FIXTURES],
            sandbox,
          });
          // Before: "40 -> /tmp/oxydra-mcp-outside-…", the folder whole through /proc/self/fd/40.
          expect(fds).not.toContain(outside);
        } finally {
          closeSync(held);
        }
      });
    }
  },
);
