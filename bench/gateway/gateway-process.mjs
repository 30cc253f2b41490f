// bench/gateway.mjs's gateway process (not a benchmark itself): `oxydra gateway` started as a
// user starts it and waited for until /readyz answers, and what /proc says of a process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { sleep } from './setup.mjs';

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A process's CPU time so far, user and system, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicksOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
export const MS_PER_TICK =
  1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Starts `oxydra gateway` and resolves once /readyz answers 200, with the time it took. */
export async function startGateway(bench, dir) {
  const { bin, children, gatewayNodeArgs } = bench;
  const port = await freePort();
  const env = bench.gatewayEnv;
  const args = ['gateway', '--bind', `127.0.0.1:${port}`, '--log-format', 'json'];
  const options = { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] };
  const begin = performance.now();
  const child =
    gatewayNodeArgs.length > 0
      ? spawn(process.execPath, [...gatewayNodeArgs, bin, ...args], options)
      : spawn(bin, args, {
          ...options,
          env: { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH}` },
        });
  children.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error('oxydra gateway exited during start-up');
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) break;
    } catch {}
    await sleep(2);
  }
  const readyMs = performance.now() - begin;
  return {
    child,
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    readyMs,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
