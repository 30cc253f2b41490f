// Shared by bench/chaos.mjs and bench/gateway-scale.mjs (not a benchmark itself): one deployment
// of several `oxydra gateway` processes on one store, behind HAProxy started with
// deploy/haproxy.cfg (its ports substituted, nothing else changed), against the testkit's mock
// model in this process. Each deployment has a workspace, a HOME and (on PostgreSQL) a schema of
// its own, all removed by stop(). Needs `npm run build` (the bin and @oxydra/testkit's dist).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockLLM } from '@oxydra/testkit';
import { mockWorkspace } from './mock-workspace.mjs';

// The packages that use them provide pg and ws (as bench/pg-search.mjs and the gateway do).
const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg');
/** The ws package's WebSocket client, for the benchmarks' protocol clients. */
export const WebSocket = createRequire(new URL('../packages/gateway/package.json', import.meta.url))('ws');

/** The CLI under test: this tree's, or another build's (OXYDRA_BENCH_BIN, e.g. to try the harness). */
export const BIN =
  process.env.OXYDRA_BENCH_BIN ?? fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
export const HAPROXY_CFG = fileURLToPath(new URL('../deploy/haproxy.cfg', import.meta.url));
export const POSTGRES_URL = process.env.OXYDRA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A reply streamed in `chunks` chunks, `chunkMs` apart: a turn of about chunks × chunkMs; with
 * `usage` (the testkit scenario's: input, output, cacheRead, cacheWrite, reasoning tokens) the
 * mock reports it, so the turn costs what those tokens cost at the model's price.
 */
export function mockSteps(chunks, chunkMs, usage) {
  const text = Array.from({ length: chunks * 3 }, (_, i) => `word${i}`).join(' ');
  return [
    {
      times: 'always',
      reply: { text, textChunks: chunks, ...(usage ? { usage } : {}) },
      ...(chunkMs > 0 ? { fault: { slowChunksMs: chunkMs } } : {}),
    },
  ];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export function haproxyInstalled() {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Runs SQL on the deployment's database. */
export async function query(text, values = []) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** deploy/haproxy.cfg with the proxy on `proxyPort` and server i on `ports[i]`. */
export function haproxyConfig(proxyPort, ports) {
  const original = readFileSync(HAPROXY_CFG, 'utf8');
  const servers = original.match(/^\s*server gw\d+ 127\.0\.0\.1:\d+.*$/gm) ?? [];
  if (servers.length === 0) throw new Error('deploy/haproxy.cfg has no "server gwN 127.0.0.1:PORT" line');
  const first = original.indexOf(servers[0]);
  const last = original.indexOf(servers.at(-1)) + servers.at(-1).length;
  const lines = ports.map((port, i) =>
    servers[0].replace(/gw\d+ 127\.0\.0\.1:\d+/, `gw${i + 1} 127.0.0.1:${port}`),
  );
  return (original.slice(0, first) + lines.join('\n') + original.slice(last)).replace(
    /bind 127\.0\.0\.1:8100/,
    `bind 127.0.0.1:${proxyPort}`,
  );
}

/**
 * Starts a deployment: `gateways` processes (each `oxydra gateway --bind 127.0.0.1:PORT
 * --log-format json`) on `store` ("postgres": a fresh schema; "libsql": the workspace's file),
 * optionally behind HAProxy, against a mock answering `steps`; `bin` is the CLI to run (another
 * build's, for a baseline in the same run), `extraEnv` more environment for its processes,
 * `storeToml` more lines for its [store] table (PostgreSQL only).
 */
export async function startDeployment({
  gateways = 3,
  store = 'postgres',
  steps = mockSteps(5, 80),
  proxy = true,
  extraToml = '',
  label = 'deploy',
  bin = BIN,
  extraEnv = {},
  storeToml = '',
} = {}) {
  const root = mkdtempSync(join(tmpdir(), `oxydra-${label}-`));
  const workspace = join(root, 'workspace');
  const schema = store === 'postgres' ? `chaos_${process.pid}_${randomBytes(4).toString('hex')}` : undefined;
  const token = randomBytes(32).toString('hex');
  const mock = await startMockLLM({ api: 'openai-chat', scenario: steps });
  // The mock keeps every request; a long run would hold thousands of growing histories.
  const trim = setInterval(() => mock.requests.splice(0), 1000);
  trim.unref();
  const env = {
    ...process.env,
    HOME: join(root, 'home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
    OXYDRA_GATEWAY_TOKEN: token,
    ...(schema ? { OXYDRA_STORE_URL: POSTGRES_URL } : {}),
    ...extraEnv,
  };
  mockWorkspace(
    workspace,
    mock.url,
    `
[tools]
approval = "auto"

[gateway]
# what deploy/haproxy.cfg needs: the names its health check and its clients send
public_hosts = ["localhost", "127.0.0.1"]
# each client sends turns back to back: no per-connection flood limit in the way
rate_limit_per_sec = 100000
rate_limit_burst = 100000
max_concurrent_turns_per_user = 100
max_sessions_per_user = 1000
${schema ? `\n[store]\nbackend = "postgres"\nschema = "${schema}"\n${storeToml}` : ''}${extraToml}`,
    env,
    bin,
  );

  const children = new Set();
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  const ports = [];
  for (let i = 0; i < gateways; i++) ports.push(await freePort());
  const procs = ports.map((port, index) => ({
    index,
    port,
    url: `http://127.0.0.1:${port}`,
    child: undefined,
    log: '',
  }));

  async function startGateway(index) {
    const gw = procs[index];
    const child = spawn(
      process.execPath,
      [bin, 'gateway', '--bind', `127.0.0.1:${gw.port}`, '--log-format', 'json'],
      { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    gw.child = child;
    gw.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    gw.exited.then(() => children.delete(child));
    // Keep the tail of the logs, for an error message.
    const keep = (chunk) => {
      gw.log = (gw.log + chunk).slice(-20_000);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`gateway ${index + 1} exited during start-up: ${gw.log}`);
      if (Date.now() > deadline) throw new Error(`gateway ${index + 1} not ready in 60 s: ${gw.log}`);
      try {
        const response = await fetch(`${gw.url}/readyz`);
        if (response.status === 200) break;
      } catch {}
      await sleep(50);
    }
    return gw;
  }

  // One after another: the first one creates the schema (migrations).
  for (let i = 0; i < gateways; i++) await startGateway(i);

  let haproxy;
  let proxyPort;
  if (proxy) {
    proxyPort = await freePort();
    const cfg = join(root, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(proxyPort, ports));
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(haproxy);
    let haproxyLog = '';
    haproxy.stderr.setEncoding('utf8').on('data', (chunk) => {
      haproxyLog = (haproxyLog + chunk).slice(-10_000);
    });
    // Ready once it forwards and has seen every gateway up (rise 2 at inter 1s).
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (haproxy.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
      if (Date.now() > deadline) throw new Error(`haproxy not forwarding in 30 s: ${haproxyLog}`);
      try {
        const response = await fetch(`http://127.0.0.1:${proxyPort}/readyz`);
        if (response.status === 200) break;
      } catch {}
      await sleep(100);
    }
    await sleep(2500);
  }

  let stopped = false;
  const deployment = {
    root,
    workspace,
    schema,
    token,
    env,
    mock,
    gateways: procs,
    haproxy,
    /** Where clients connect: the proxy, or the first gateway without one. */
    url: proxy ? `http://127.0.0.1:${proxyPort}` : procs[0].url,
    get wsUrl() {
      return `${this.url.replace(/^http/, 'ws')}/ws`;
    },
    /** The processes to sample for CPU: each gateway's pid, and HAProxy's. */
    pids() {
      return {
        gateways: procs.map((gw) => gw.child?.pid).filter(Boolean),
        haproxy: haproxy?.pid,
      };
    },
    /** SIGKILLs gateway `index` and waits until it is gone. */
    async kill(index) {
      const gw = procs[index];
      gw.child.kill('SIGKILL');
      await gw.exited;
    },
    /** Starts gateway `index` again on its port; resolves once its /readyz answers 200. */
    restart: (index) => startGateway(index),
    /** Runs `oxydra <args>` in the workspace with the deployment's environment. */
    cli(args, timeoutMs = 60_000) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: workspace,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c) => {
          stdout += c;
        });
        child.stderr.setEncoding('utf8').on('data', (c) => {
          stderr += c;
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ status: code, stdout, stderr });
        });
      });
    },
    /** Stops the gateways (SIGTERM, then SIGKILL), HAProxy and the mock; the store stays. */
    async stopProcesses() {
      if (stopped) return;
      stopped = true;
      clearInterval(trim);
      await Promise.all(
        procs.map(async (gw) => {
          if (!gw.child || gw.child.exitCode !== null || gw.child.signalCode !== null) return;
          gw.child.kill('SIGTERM');
          const timer = setTimeout(() => gw.child.kill('SIGKILL'), 10_000);
          await gw.exited;
          clearTimeout(timer);
        }),
      );
      if (haproxy && haproxy.exitCode === null) {
        const gone = new Promise((resolve) => haproxy.once('exit', resolve));
        haproxy.kill('SIGTERM');
        await gone;
      }
      killAll();
      process.off('exit', killAll);
      await mock.close();
    },
    /** Stops everything and removes the run's files and schema. */
    async stop() {
      await this.stopProcesses();
      if (schema) await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return deployment;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; 0 once gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** The pids of PostgreSQL's backends and server (every process named postgres). */
export function postgresPids() {
  const out = spawnSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter(Boolean).map(Number);
}
