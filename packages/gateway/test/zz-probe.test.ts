import { connect } from 'node:net';
import { afterAll, beforeAll, it } from 'vitest';
import { startTestGateway, TestClient, type TestGateway, TOKEN, sendTurn } from './helpers.js';

let env: TestGateway;
let alice: string;
let bob: string;
let bobSession: string;
const out: string[] = [];
const log = (...a: unknown[]) => out.push(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));

beforeAll(async () => {
  env = await startTestGateway();
  const t = await env.kernel.service('tokens');
  alice = (await t.add('alice', 'user', '', 'test')).token;
  bob = (await t.add('bob', 'user', '', 'test')).token;
  const { client, ack } = await TestClient.hello(env.wsUrl, { create_new_session: true }, { token: bob });
  bobSession = ack.payload.session.session_id;
  sendTurn(client, bobSession, 'hello bob secret');
  await client.take('turn_completed');
  client.close();
});
afterAll(async () => {
  console.log(out.join('\n'));
  await env.cleanup();
});

async function req(method: string, path: string, token?: string, body?: string, headers: Record<string, string> = {}) {
  const r = await fetch(env.gateway.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await r.text();
  const h = Object.fromEntries([...r.headers].filter(([k]) => /csp|content-security|frame|x-content|access-control|allow|content-type|cache/.test(k)));
  return { status: r.status, text: text.slice(0, 300), h };
}

function raw(data: string, waitMs = 800): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL(env.gateway.url);
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('error', () => {});
    s.write(data);
    setTimeout(() => { s.destroy(); resolve(got.slice(0, 400)); }, waitMs);
  });
}

it('probe', async () => {
  const host = new URL(env.gateway.url).host;
  for (const [m, p] of [['GET','/api/v1/sessions/'],['GET','/API/v1/sessions'],['GET','//api/v1/sessions'],['GET','/api/v1//sessions'],['GET','/metrics/'],['GET','/v1/tokens/'],['GET','/v1/TOKENS'],['OPTIONS','/api/v1/sessions'],['HEAD','/api/v1/sessions'],['GET','/api/v1/%2e%2e/healthz'],['GET','/assets/..%2f..%2fpackage.json'],['GET','/assets/%2e%2e/%2e%2e/etc/passwd'],['GET','/healthz/'],['GET','/readyz'],['GET','/.well-known/agent-card.json'],['GET','/.well-known/agent.json'],['GET','/api/v1/openapi.json'],['GET','/mcp'],['GET','/healthz?__proto__[x]=1']]) {
    log('UNAUTH', m, p, await req(m, p));
  }
  for (const p of ['/api/v1/me','/api/v1/config','/api/v1/health','/metrics','/readyz','/api/v1/agents','/api/v1/costs?by=user','/api/v1/costs?by=session','/api/v1/costs?by=user&user_id=bob','/api/v1/schedules','/api/v1/memory/notes','/api/v1/memory/search?q=secret','/api/v1/budgets','/api/v1/trust','/api/v1/channels','/api/v1/checkpoints','/v1/sessions','/v1/budgets','/api/v1/sessions?__proto__=1&constructor=x','/api/v1/sessions?limit=__proto__',`/api/v1/sessions/${bobSession}`,`/api/v1/sessions/${bobSession}/export`,'/api/v1/sessions/nonexistent-xyz','/v1/models','/api/v1/sessions?q=%25']) {
    log('ALICE GET', p, await req('GET', p, alice));
  }
  log('ALICE runs bob session', await req('POST','/api/v1/runs',alice,JSON.stringify({prompt:'hi',session_id:bobSession})));
  log('ALICE runs new session name', await req('POST','/api/v1/runs',alice,JSON.stringify({prompt:'hi',session_id:'no-such-session-abc'})));
  log('ALICE chat bob session', await req('POST','/v1/chat/completions',alice,JSON.stringify({model:'default',messages:[{role:'user',content:'hi'}]}),{'x-session-id':bobSession}));
  log('ALICE kill', await req('POST','/api/v1/agents/nonexist/kill',alice));
  log('ALICE schedule run', await req('POST','/api/v1/schedules/nonexist/run',alice));
  log('ALICE delete note', await req('DELETE','/api/v1/memory/notes/1',alice));
  log('ALICE token create', await req('POST','/v1/tokens',alice,JSON.stringify({user:'alice',role:'admin'})));
  log('ALICE login-code', await req('POST','/api/v1/login-codes',alice));
  // deep JSON
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  log('deep json chat', await req('POST','/v1/chat/completions',alice,deep));
  log('deep json api', await req('POST','/api/v1/runs',alice,deep));
  const deepObj = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
  log('deep obj api', await req('POST','/api/v1/schedules',alice,deepObj));
  log('proto body', await req('POST','/api/v1/runs',alice,'{"__proto__":{"admin":true},"prompt":"x","constructor":{"prototype":{"y":1}}}'));
  log('bad json', await req('POST','/api/v1/runs',alice,'{"prompt":'));
  log('A2A bad', await req('POST','/a2a',alice,JSON.stringify({jsonrpc:'2.0',id:1,method:'tasks/get',params:{id:'nonexistent'}})));
  log('A2A bad2', await req('POST','/',alice,JSON.stringify({jsonrpc:'2.0',id:1,method:'tasks/get',params:{id:'nonexistent'}})));
  // raw
  log('RAW TRACE', await raw(`TRACE / HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
  log('RAW dup CL', await raw(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n{"a":1}`));
  log('RAW TE+CL', await raw(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/v1/audit HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
  log('RAW TE xchunked', await raw(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`));
  log('RAW TE chunked, identity', await raw(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`));
  log('RAW abs uri', await raw(`GET http://evil.example/api/v1/me HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\n\r\n`));
  log('RAW two hosts', await raw(`GET /api/v1/me HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nAuthorization: Bearer ${alice}\r\n\r\n`));
  log('RAW upgrade on /api', await raw(`GET /api/v1/me HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  log('RAW upgrade on /healthz', await raw(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  log('RAW ws Origin null', await raw(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nOrigin: null\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  // slow body unauth: does the server keep the socket?
  const slow = await new Promise<string>((resolve) => {
    const u = new URL(env.gateway.url);
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    let closed = false;
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    s.write(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    let n = 0;
    const iv = setInterval(() => { if (!closed) s.write('a'); n++; if (n > 30) { clearInterval(iv); resolve(`closed=${closed} got=${got.slice(0,80)}`); s.destroy(); } }, 100);
  });
  log('SLOW unauth body after 3s', slow);
  const slowAuth = await new Promise<string>((resolve) => {
    const u = new URL(env.gateway.url);
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    let closed = false;
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    s.write(`POST /api/v1/runs HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${alice}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    let n = 0;
    const iv = setInterval(() => { if (!closed) s.write('a'); n++; if (n > 30) { clearInterval(iv); resolve(`closed=${closed} got=${got.slice(0,80)}`); s.destroy(); } }, 100);
  });
  log('SLOW auth body after 3s', slowAuth);
  const srv = (env.gateway as unknown as { }) ;
  void srv;
}, 120_000);
