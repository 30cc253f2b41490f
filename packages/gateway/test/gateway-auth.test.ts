/** Token auth on HTTP and WebSocket upgrades, the Origin check, the token file, bind parsing. */
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findGatewayToken } from '@oxydra/config/admin';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError, UsageError } from '@oxydra/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, parseBind, resolveGatewayToken } from '../src/index.js';
import { jsonOf, startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { type RawOptions, RawSocket } from './raw-socket.js';

let env: TestGateway;
beforeAll(async () => {
  env = await startTestGateway();
});
afterAll(() => env.cleanup());

/** Opens the upgrade with the test's token unless `options` name another (or null for none). */
async function upgradeStatus(options: Partial<RawOptions>): Promise<number | 'open'> {
  try {
    const client = await RawSocket.open(env.wsUrl, { token: TOKEN, ...options });
    client.close();
    return 'open';
  } catch (error) {
    return (error as { status: number }).status;
  }
}

describe('HTTP auth', () => {
  it('leaves /healthz and /readyz open and answers them', async () => {
    expect(await jsonOf(await fetch(`${env.gateway.url}/healthz`))).toEqual({ status: 'ok' });
    // The guardian's first verification runs from the start; /readyz shows it once it is done
    // (a few queries away on PostgreSQL).
    const body = await pollUntil(async () => {
      const ready = await fetch(`${env.gateway.url}/readyz`);
      expect(ready.status).toBe(200);
      const json = await jsonOf(ready);
      return json.audit ? json : undefined;
    }, 'the first audit verification in /readyz');
    expect(body).toEqual({
      status: 'ready',
      sandbox: { tier: 'none', shell: 'unsandboxed', summary: 'none (sandbox off by configuration)' },
      audit: { ok: true, entries: expect.any(Number), checkedAt: expect.any(String) },
      // The first test here: a new workspace's memory database waits for its first use.
      ...(env.schema === undefined ? { session_store: 'created at first use' } : {}),
      // On PostgreSQL the gateway is a member of a deployment: its membership is reported too.
      ...(env.schema !== undefined
        ? {
            cluster: {
              ok: true,
              process_id: expect.stringMatching(/^test-\d+-[0-9a-f]{8}$/),
              beat_age_ms: expect.any(Number),
              bus_age_ms: expect.any(Number),
              watching: 0,
              session_frames: { published: expect.any(Number), withheld: expect.any(Number) },
            },
          }
        : {}),
    });
  });

  it('refuses every other request without the right bearer token (401), without saying what the token is', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of headerSets) {
      for (const path of ['/v1/sessions', '/v1/models', '/nowhere']) {
        const response = await fetch(`${env.gateway.url}${path}`, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const body = await response.text();
        expect(JSON.parse(body).error.code).toBe('unauthorized');
        expect(body).not.toContain(TOKEN);
      }
    }
    const ok = await fetch(`${env.gateway.url}/v1/sessions`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe('WebSocket auth', () => {
  it('refuses an upgrade without a token or with a wrong one (HTTP 401)', async () => {
    expect(await upgradeStatus({ token: null })).toBe(401);
    expect(await upgradeStatus({ token: 'not-the-token-at-all' })).toBe(401);
    expect(await upgradeStatus({})).toBe('open');
  });

  it('accepts the token as a bearer.<token> subprotocol beside oxydra.v2, and selects oxydra.v2', async () => {
    const client = await RawSocket.open(env.wsUrl, {
      token: null,
      protocols: ['oxydra.v2', `bearer.${TOKEN}`],
    });
    expect(client.socket.protocol).toBe('oxydra.v2');
    client.close();
    expect(await upgradeStatus({ token: null, protocols: ['oxydra.v2', 'bearer.wrong-token-012345'] })).toBe(
      401,
    );
  });

  it('refuses foreign origins (403) and allows none, loopback and same-host origins', async () => {
    const host = new URL(env.gateway.url).host;
    expect(await upgradeStatus({ headers: { origin: 'https://evil.example' } })).toBe(403);
    expect(await upgradeStatus({ headers: { origin: 'null' } })).toBe(403);
    expect(await upgradeStatus({ headers: { origin: 'http://localhost:3000' } })).toBe('open');
    expect(await upgradeStatus({ headers: { origin: 'http://127.0.0.1:5173' } })).toBe('open');
    expect(await upgradeStatus({ headers: { origin: `http://${host}` } })).toBe('open');
    // A foreign origin is refused even with the right token (a page must not ride on a leaked one).
    expect(
      await upgradeStatus({ headers: { origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` } }),
    ).toBe(403);
  });
});

describe('the gateway token', () => {
  let scratch: TempWorkspace;
  let dir: string;
  const envFor = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    HOME: join(dir, 'home'),
    ...extra,
  });
  beforeAll(() => {
    scratch = tempWorkspace({ prefix: 'oxydra-token-' });
    dir = scratch.dir;
  });
  afterAll(() => scratch.cleanup());
  afterEach(() => rmSync(join(dir, 'home'), { recursive: true, force: true }));

  it('is generated once into a 0600 file under the user config dir, then read back', async () => {
    const env = envFor();
    const first = await resolveGatewayToken({ env });
    const path = join(dir, 'home', '.config', 'oxydra', 'gateway-token');
    expect(first).toMatchObject({ source: 'file', file: path, generated: true });
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = await resolveGatewayToken({ env });
    expect(second).toEqual({ token: first.token, source: 'file', file: path });
    // Clients find it where the gateway put it (the reader is @oxydra/config's).
    expect(await findGatewayToken(env)).toEqual({ value: first.token, source: path });
  });

  it('gives two gateways starting at once the same token', async () => {
    const env = envFor();
    const tokens = await Promise.all([1, 2, 3, 4].map(() => resolveGatewayToken({ env })));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(tokens.filter((t) => t.generated)).toHaveLength(1);
  });

  it('takes the variable named by auth_token_env first, then OXYDRA_GATEWAY_TOKEN', async () => {
    const env = envFor({
      MY_TOKEN: 'configured-token-0123456789',
      OXYDRA_GATEWAY_TOKEN: 'generic-token-0123456789',
    });
    expect(await resolveGatewayToken({ env, authTokenEnv: 'MY_TOKEN' })).toEqual({
      token: 'configured-token-0123456789',
      source: 'env',
      variable: 'MY_TOKEN',
    });
    expect(await resolveGatewayToken({ env })).toEqual({
      token: 'generic-token-0123456789',
      source: 'env',
      variable: 'OXYDRA_GATEWAY_TOKEN',
    });
  });

  it('refuses a missing auth_token_env variable, a short token, and a token file others can read', async () => {
    await expect(resolveGatewayToken({ env: envFor(), authTokenEnv: 'UNSET_VAR' })).rejects.toThrow(
      /names UNSET_VAR, but that variable is not set/,
    );
    const short = resolveGatewayToken({ env: envFor({ OXYDRA_GATEWAY_TOKEN: 'short' }) });
    await expect(short).rejects.toBeInstanceOf(ConfigError);
    await expect(short).rejects.toThrow(/at least 16 characters/);
    const env = envFor();
    const { file } = await resolveGatewayToken({ env });
    writeFileSync(file!, 'readable-by-everyone-0123456789\n', { mode: 0o644 });
    const { chmodSync } = await import('node:fs');
    chmodSync(file!, 0o644);
    await expect(resolveGatewayToken({ env })).rejects.toThrow(/readable by other users \(mode 0644\)/);
  });
});

describe('bind addresses', () => {
  it('parses HOST:PORT, bracketed IPv6 and port 0, and refuses the rest with a usage error', () => {
    expect(parseBind('127.0.0.1:7700')).toEqual({ host: '127.0.0.1', port: 7700 });
    expect(parseBind('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseBind('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    for (const bad of ['7700', '127.0.0.1', '1.2.3.4:99999', '::1:7700', '[localhost]:1', 'host:port']) {
      expect(() => parseBind(bad), bad).toThrow(UsageError);
    }
  });

  it('knows loopback hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', 'app.localhost'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
