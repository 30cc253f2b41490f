/**
 * The attack battery, the gateway's part of issue 30 ("workspace trust"), against the real
 * `oxydra gateway` binary: DNS rebinding (a page whose name resolves to 127.0.0.1 talking to
 * the gateway from the user's browser) gets 421 on every kind of route, the A2A card never
 * echoes the Host header, and replacing the workspace's `.oxydra/` under the running gateway
 * makes it not ready and refuse turns, without leaving a chain that later reads as tampered.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken, stopGatewayAndEnv } from './gateway-daemon.js';

const MOVED = "the workspace's .oxydra/ was removed or replaced while the gateway ran; restart it";

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

async function started(): Promise<{ daemon: GatewayDaemon; env: AgentEnv; token: string; port: number }> {
  env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
  daemon = await GatewayDaemon.start(env);
  return { daemon, env, token: generatedToken(env), port: Number(new URL(daemon.url).port) };
}

/** One request on its own connection to 127.0.0.1:port naming `host` (fetch cannot set Host). */
function raw(
  port: number,
  path: string,
  host: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers: { host, ...headers }, setHost: false, agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('DNS rebinding against the real gateway', () => {
  it('a page on evil.example resolving to 127.0.0.1 gets 421 on the probes, the APIs, A2A and the WebSocket, token or not', async () => {
    const { token, port } = await started();
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const upgrade = (origin: string) => ({
      ...auth,
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-protocol': 'oxydra.v2',
      origin,
    });
    const chat = JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] });
    const routes = (origin: string): [string, Record<string, string>, string?, string?][] => [
      ['/healthz', {}],
      ['/readyz', {}],
      ['/v1/models', auth],
      ['/metrics', auth],
      ['/v1/chat/completions', json, 'POST', chat],
      ['/.well-known/agent-card.json', {}],
      [
        '/a2a',
        json,
        'POST',
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'x' } }),
      ],
      ['/ws', upgrade(origin)],
      ['/', {}],
    ];
    const evil = `evil.example:${port}`;
    for (const [path, headers, method, body] of routes(`http://${evil}`)) {
      const answer = await raw(port, path, evil, headers, method, body);
      expect(answer.status, path).toBe(421);
      expect(JSON.parse(answer.body).error.code, path).toBe('misdirected_request');
    }
    expect(env!.mock.requests).toHaveLength(0);

    // The gateway's own address still works, the WebSocket included.
    const own = `127.0.0.1:${port}`;
    for (const [path, headers, method, body] of routes(`http://${own}`)) {
      const answer = await raw(port, path, own, headers, method, body);
      expect(answer.status, path).not.toBe(421);
      if (path === '/ws') expect(answer.status).toBe(101);
    }
    const logged = daemon!.logs().filter((line) => line.msg === 'refused a request for another host');
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(daemon!.logs())).not.toContain(token);
  });

  it("the A2A card names the bind address, not the Host header's name", async () => {
    const { port } = await started();
    const answer = await raw(port, '/.well-known/agent-card.json', `localhost:${port}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).url).toBe(`${daemon!.url}/a2a`);
    expect(answer.body).not.toContain('localhost');
  });
});

describe("the workspace's .oxydra/ replaced under the running gateway", () => {
  it('readyz 503 with the reason, turns refused with the message, and `oxydra audit verify` clean on both folders after stop', async () => {
    const { token } = await started();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const turn = (content: string) =>
      fetch(`${daemon!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content }] }),
      });
    expect((await turn('before')).status).toBe(200);

    // The attack: swap the folder, keeping the configuration so the gateway could start again.
    const state = join(env!.workspace, '.oxydra');
    const old = join(env!.workspace, '.oxydra.old');
    renameSync(state, old);
    mkdirSync(state);
    copyFileSync(join(old, 'agent.toml'), join(state, 'agent.toml'));

    const ready = await fetch(`${daemon!.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toContain(MOVED);
    const refused = await turn('PROMPT-AFTER-THE-SWAP');
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'workspace_moved',
      message: expect.stringContaining(MOVED),
    });
    expect(env!.mock.requests.map((r) => r.raw).join('\n')).not.toContain('PROMPT-AFTER-THE-SWAP');

    // A graceful stop flushes the audit head: it must not land in the folder swapped in.
    daemon!.kill('SIGTERM');
    await daemon!.exited;
    daemon = undefined;
    expect(readdirSync(state)).toEqual(['agent.toml']);

    // --trust: the folder swapped in is a new one, not the one this user trusted.
    const fresh = await env!.run(['audit', 'verify', '--trust']);
    expect(fresh.stdout + fresh.stderr).not.toMatch(/tail was removed|tamper|rewritten/i);
    expect(fresh.status).toBe(0);

    // The original folder back in place: its chain, with the turn before the swap, is whole.
    rmSync(state, { recursive: true, force: true });
    renameSync(old, state);
    const original = await env!.run(['audit', 'verify', '--trust']);
    expect(original.stdout + original.stderr).not.toMatch(/tail was removed|tamper|rewritten/i);
    expect(original.status).toBe(0);
  });
});
