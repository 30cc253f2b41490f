import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBubblewrapRunner,
  EGRESS_MAX_CONNECTIONS,
  EGRESS_MOUNT,
  type EgressDecision,
  type EgressProxy,
  hostAllowed,
  hostPatternProblem,
  parseHostPattern,
  startEgressProxy,
} from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, NODE_ROOT, policy } from './helpers.js';

describe('allow_hosts patterns', () => {
  const allow = ['registry.npmjs.org', '*.githubusercontent.com', 'api.example.com:8443', '10.1.2.3'].map(
    parseHostPattern,
  );

  it.each([
    ['registry.npmjs.org', 443, true],
    ['REGISTRY.npmjs.org.', 80, true],
    ['evil-registry.npmjs.org', 443, false],
    ['raw.githubusercontent.com', 443, true],
    ['githubusercontent.com', 443, false], // the wildcard is for subdomains only
    ['githubusercontent.com.evil.net', 443, false],
    ['api.example.com', 8443, true],
    ['api.example.com', 443, false], // a listed port is the only one allowed
    ['10.1.2.3', 22, true],
    ['127.0.0.1', 80, false],
  ])('%s:%i allowed: %s', (host, port, expected) => {
    expect(hostAllowed(allow, host, port)).toBe(expected);
  });

  it.each([
    ['*', /every host/],
    ['https://example.com', /only the name/],
    ['example.com/path', /only the name/],
    ['exa mple.com', /not a valid host/],
    ['example.com:99999', /port out of range/],
    ['example.com:http', /port must be a number/],
    ['foo.*.com', /not a valid host/],
  ])('refuses %s with a reason', (raw, reason) => {
    expect(hostPatternProblem(raw)).toMatch(reason);
  });
});

interface Victim {
  server: Server;
  port: number;
  hits: string[];
}

async function startVictim(): Promise<Victim> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('VICTIM-BODY\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

/** One raw HTTP exchange with the proxy over its Unix socket. */
function viaProxy(
  socketPath: string,
  method: string,
  target: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: target, headers: { host: 'ignored' } });
    req.on('connect', (res, socket) => {
      // A tunnel: speak HTTP through it.
      socket.write(`GET /tunnelled HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      let body = '';
      socket.on('data', (chunk) => {
        body += chunk.toString();
      });
      socket.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      socket.on('error', reject);
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the egress proxy', () => {
  let scratch: TempWorkspace;
  let dir: string;
  let proxy: EgressProxy;
  let socketPath: string;
  let victim: Victim;
  let decisions: EgressDecision[];

  beforeEach(async () => {
    scratch = tempWorkspace({ prefix: 'oxydra-egress-test-' });
    dir = scratch.dir;
    victim = await startVictim();
    decisions = [];
    socketPath = path.join(dir, 'proxy.sock');
    proxy = await startEgressProxy({
      socketPath,
      allow: [parseHostPattern('localhost')],
      onDecision: (decision) => decisions.push(decision),
    });
  });
  afterEach(async () => {
    await proxy.close();
    victim.server.close();
    scratch.cleanup();
  });

  it('forwards plain HTTP to an allowed host', async () => {
    const answer = await viaProxy(socketPath, 'GET', `http://localhost:${victim.port}/page?q=1`);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('VICTIM-BODY\n');
    expect(victim.hits).toEqual(['GET /page?q=1']);
    expect(decisions).toEqual([{ method: 'GET', host: 'localhost', port: victim.port, allowed: true }]);
  });

  it('tunnels CONNECT to an allowed host', async () => {
    const answer = await viaProxy(socketPath, 'CONNECT', `localhost:${victim.port}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('VICTIM-BODY');
    expect(victim.hits).toEqual(['GET /tunnelled']);
  });

  it('refuses other hosts with 403, naming the host and the setting, and never connects', async () => {
    const plain = await viaProxy(socketPath, 'GET', `http://127.0.0.1:${victim.port}/`);
    expect(plain.status).toBe(403);
    expect(plain.body).toContain(`127.0.0.1:${victim.port}`);
    expect(plain.body).toContain('allow_hosts');
    const tunnel = await viaProxy(socketPath, 'CONNECT', `127.0.0.1:${victim.port}`);
    expect(tunnel.status).toBe(403);
    expect(victim.hits).toEqual([]);
    expect(decisions.map((d) => d.allowed)).toEqual([false, false]);
  });

  it('answers malformed requests with 400', async () => {
    expect((await viaProxy(socketPath, 'GET', '/relative')).status).toBe(400);
    expect((await viaProxy(socketPath, 'CONNECT', 'no-port')).status).toBe(400);
    expect(victim.hits).toEqual([]);
  });
});

// Skipped only where bubblewrap is absent: there is no sandbox to give a network to.
describe.skipIf(!HAS_BWRAP)('network = allowlist inside bubblewrap', () => {
  let f: Fixture;
  let victim: Victim;
  beforeEach(async () => {
    f = fixture();
    victim = await startVictim();
  });
  afterEach(() => {
    victim.server.close();
    f.cleanup();
  });

  it('reaches allowed hosts through the proxy only; everything else fails', async () => {
    const decisions: EgressDecision[] = [];
    const run = createBubblewrapRunner(policy({ network: { allowHosts: ['localhost'] } }), {
      workspace: f.workspace,
      home: f.home,
      onEgress: (decision) => decisions.push(decision),
    });
    const port = victim.port;
    // --noproxy '' overrides NO_PROXY=localhost: "localhost" is then asked of the proxy.
    const r = await run(
      [
        `echo "proxy=$HTTP_PROXY"`,
        `curl -s --max-time 10 --noproxy '' http://localhost:${port}/allowed; echo "allowed_rc=$?"`,
        `curl -s --max-time 10 -p --noproxy '' http://localhost:${port}/tunnel; echo "tunnel_rc=$?"`,
        `curl -s --max-time 10 --noproxy '' -o /dev/null -w 'refused_status=%{http_code}\\n' http://127.0.0.1:${port}/refused`,
        `curl -s --max-time 5 --noproxy '*' http://127.0.0.1:${port}/direct; echo "direct_rc=$?"`,
      ].join('; '),
      { cwd: f.workspace, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 30_000 },
    );
    expect(r.output).toContain('proxy=http://127.0.0.1:3128');
    expect(r.output).toContain('allowed_rc=0');
    expect(r.output).toContain('tunnel_rc=0');
    expect(r.output).toContain('refused_status=403');
    expect(r.output).toMatch(/direct_rc=[1-9]/);
    expect(victim.hits).toEqual(['GET /allowed', 'GET /tunnel']);
    expect(decisions.filter((d) => !d.allowed).map((d) => d.host)).toEqual(['127.0.0.1']);
  });

  it("keeps the command's exit status and output", async () => {
    const run = createBubblewrapRunner(policy({ network: { allowHosts: ['localhost'] } }), {
      workspace: f.workspace,
      home: f.home,
    });
    const r = await run('echo out; echo err >&2; exit 7', {
      cwd: f.workspace,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 30_000,
    });
    expect(r.exitCode).toBe(7);
    expect(r.output).toContain('out');
    expect(r.output).toContain('err');
  });

  // Each connection held costs the host process (a gateway serving everyone) descriptors: one
  // command once held 10,000 of this machine's 20,000, with no cap.
  it("holds at most EGRESS_MAX_CONNECTIONS of a command's connections to the proxy", async () => {
    const run = createBubblewrapRunner(
      policy({ network: { allowHosts: ['localhost'] }, readableRoots: [NODE_ROOT] }),
      {
        workspace: f.workspace,
        home: f.home,
      },
    );
    // 400 connections, opened one after another; those the proxy closed at once are not counted.
    const hold = `const n=require('net'); const held=new Set(); let i=0; const go=()=>{ if (i++>=400) return setTimeout(()=>{console.log('held='+held.size); process.exit(0)}, 1000); const s=n.connect('${EGRESS_MOUNT}/proxy.sock'); s.once('connect',go).once('error',go); held.add(s); s.on('close',()=>held.delete(s)).on('error',()=>{}); }; go();`;
    const r = await run(`${process.execPath} -e "${hold}"`, {
      cwd: f.workspace,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 30_000,
    });
    const held = Number(/held=(\d+)/.exec(r.output)?.[1] ?? '-1');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(EGRESS_MAX_CONNECTIONS);
  });
});
