/**
 * `oxydra gateway`'s "listening on" line comes first: once its port answers, or `oxydra status`
 * can find it (its record under .oxydra/gateways names its address), the line is on its output
 * and a SIGTERM is a clean stop. It used to be written only after the record and the
 * scheduler's start, with the signal handler after it: a supervisor stopping the gateway the
 * moment the port answered killed it by the signal, with no line at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const SCHEDULER_ON = '[scheduler]\nenabled = true\npoll_interval_secs = 1\n';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The address in this workspace's gateway record, once it has one (what `oxydra status` reads). */
function recordedUrl(workspace: string): string | undefined {
  const dir = join(workspace, '.oxydra', 'gateways');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const url = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { url?: string }).url;
      if (url) return url;
    } catch {}
  }
  return undefined;
}

/** Runs the gateway (pretty log) and SIGTERMs it the moment `found` says so; how it ended. */
async function stopWhenFound(env: AgentEnv, found: (port: number) => Promise<boolean> | boolean) {
  const port = await freePort();
  return env.run(['gateway', '--bind', `127.0.0.1:${port}`, '--log-format', 'pretty'], async (child) => {
    const running = () => child.exitCode === null && child.signalCode === null;
    while (running() && !(await found(port))) await new Promise((resolve) => setImmediate(resolve));
    child.kill('SIGTERM');
  });
}

describe('oxydra gateway: the "listening on" line', () => {
  it.for([
    ['its port answers', (_env: AgentEnv) => (port: number) => answers(port)],
    ['its record names its address', (env: AgentEnv) => () => recordedUrl(env.workspace) !== undefined],
  ] as const)(
    'is written, and a SIGTERM stops it cleanly, the moment %s',
    { timeout: 180_000 },
    async ([, probe], { onTestFinished }) => {
      const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [], SCHEDULER_ON);
      for (let i = 0; i < 3; i++) {
        const end = await stopWhenFound(env, probe(env));
        expect(end.status, `start ${i + 1}: ${end.stderr}`).toBe(0);
        expect(end.stdout).toMatch(/INFO\s+listening on http:\/\/127\.0\.0\.1:\d+ /);
        expect(end.stdout).toMatch(/stopped/);
      }
    },
  );
});
