/**
 * The real @modelcontextprotocol/server-everything in its Streamable HTTP mode (`streamableHttp`,
 * port from PORT): tools and calls over HTTP, a server killed and started again on the same port
 * reconnected (new session), and the bearer token sent from its variable but never shown.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { McpServerSource } from '../src/index.js';
import { freePort, startEverythingHttp } from './everything-http.js';
import { call, removeWorkspaces, said, serverWords, sources, tool } from './helpers.js';

const opened: McpServerSource[] = [];
const servers: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  for (const child of servers.splice(0)) child.kill('SIGKILL');
});
afterAll(removeWorkspaces);

const startHttpServer = async (port: number) => (await startEverythingHttp(servers, port)).child;

describe('server-everything over Streamable HTTP', () => {
  it('lists and calls its tools over HTTP', async () => {
    const port = await freePort();
    await startHttpServer(port);
    const [source] = sources({ web: { url: `http://127.0.0.1:${port}/mcp` } });
    opened.push(source!);
    await source!.start();
    expect(source!.health()).toMatchObject({ ok: true, name: 'mcp:web' });
    expect(source!.health().detail).toContain(`Streamable HTTP http://127.0.0.1:${port}/mcp`);
    expect(tool(source!, 'web__get-sum').safety).toBe('read_only');
    expect((await call(source!, 'web__get-sum', { a: 1, b: 2 })).content).toContain('3');
    const structured = await call(source!, 'web__get-structured-content', { location: 'Chicago' });
    expect(structured.content).toContain('temperature');
  });

  it('reconnects when the server is killed and started again on the same port', async () => {
    const port = await freePort();
    const first = await startHttpServer(port);
    const [source] = sources(
      { web: { url: `http://127.0.0.1:${port}/mcp` } },
      { reconnect: { initialDelayMs: 200, maxDelayMs: 1_000, callWaitMs: 1_000 } },
    );
    opened.push(source!);
    await source!.start();
    expect(await said(source!, 'web__echo', { message: 'one' })).toBe('Echo: one');
    first.kill('SIGKILL');
    await once(first, 'exit');
    // The dropped SSE stream (or the next call) reveals it; the source retries with backoff.
    await pollUntil(() => source!.health().detail.startsWith('reconnecting'), 'the drop to be noticed', {
      timeoutMs: 20_000,
    });
    expect(source!.health().detail).toMatch(/^reconnecting \(attempt \d+\): /);
    const unavailable = await call(source!, 'web__echo', { message: 'nobody home' });
    expect(unavailable.isError).toBe(true);
    expect(unavailable.content).toContain('MCP server "web" is not connected.');
    expect(serverWords(source!, unavailable.content.slice(unavailable.content.indexOf('\n') + 1))).toMatch(
      /^reconnecting \(attempt \d+\)/,
    );
    await startHttpServer(port);
    expect(await said(source!, 'web__echo', { message: 'two' })).toBe('Echo: two');
    expect(source!.health().ok).toBe(true);
  });

  it('sends the bearer token from its variable and never shows it', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const gate = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
    });
    gate.listen(0, '127.0.0.1');
    await once(gate, 'listening');
    const { port } = gate.address() as AddressInfo;
    try {
      const token = 'secret-token-0123456789';
      const [source] = sources(
        {
          gated: {
            url: `http://127.0.0.1:${port}/mcp`,
            bearer_token_env: 'GATED_TOKEN',
            headers: { 'X-Team': 'blue-team-key' },
          },
        },
        { env: { GATED_TOKEN: token } },
      );
      opened.push(source!);
      await expect(source!.start()).rejects.toThrow();
      expect(seen[0]?.authorization).toBe(`Bearer ${token}`);
      expect(seen[0]?.['x-team']).toBe('blue-team-key');
      const { detail } = source!.health();
      expect(detail).toMatch(/^reconnecting \(attempt 1\)/);
      expect(detail).not.toContain(token);
      expect(detail).not.toContain('blue-team-key');
    } finally {
      gate.close();
    }
  });

  it('does not start, naming the variable, when the bearer token variable is unset', async () => {
    const [source] = sources(
      { gated: { url: 'http://127.0.0.1:9/mcp', bearer_token_env: 'UNSET_TOKEN_VAR' } },
      { env: {} },
    );
    opened.push(source!);
    await expect(source!.start()).rejects.toThrow(
      'bearer_token_env: the variable UNSET_TOKEN_VAR is not set',
    );
    expect(source!.health()).toEqual({
      name: 'mcp:gated',
      ok: false,
      detail: 'not started: bearer_token_env: the variable UNSET_TOKEN_VAR is not set',
    });
  });
});
