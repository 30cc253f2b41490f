/**
 * The gateway's memory sizing. At run time (run/gateway-heap.ts): the old generation may grow
 * 30% past what survived the last full GC unless the operator chose otherwise; the real
 * `oxydra gateway` applies it at start-up (its debug log says which) or refuses a bad value
 * before listening. At process start (the launcher lines of bin/oxydra.js, run when `oxydra`
 * is executed as a command): a 4 MB young-generation semi-space, compaction on every full GC,
 * and glibc's malloc at 2 arenas with fixed mmap and trim thresholds, unless the user set them.
 */
import { readFileSync } from 'node:fs';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAP_GROWING_PERCENT,
  gatewayProcessSizing,
  HEAP_GROWING_PERCENT_ENV,
  heapGrowingFlag,
  tuneGatewayHeap,
} from '../src/run/gateway-heap.js';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';
import { OXYDRA_BIN } from './helpers.js';

describe('heapGrowingFlag', () => {
  it('defaults to 30%, takes the variable, and leaves V8 alone at 0 or with its own flag', () => {
    expect(heapGrowingFlag({}, [])).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`);
    expect(heapGrowingFlag({ [HEAP_GROWING_PERCENT_ENV]: '50' }, [])).toBe('--heap-growing-percent=50');
    expect(heapGrowingFlag({ [HEAP_GROWING_PERCENT_ENV]: ' ' }, [])).toBe('--heap-growing-percent=30');
    expect(heapGrowingFlag({ [HEAP_GROWING_PERCENT_ENV]: '0' }, [])).toBeUndefined();
    expect(heapGrowingFlag({}, ['--heap-growing-percent=80'])).toBeUndefined();
    expect(heapGrowingFlag({}, ['--heap_growing_percent', '80'])).toBeUndefined();
  });

  it('refuses what is not a whole percentage', () => {
    for (const bad of ['abc', '-5', '12.5', '301']) {
      expect(() => heapGrowingFlag({ [HEAP_GROWING_PERCENT_ENV]: bad }, [])).toThrow(
        new RegExp(`${HEAP_GROWING_PERCENT_ENV}=${bad.replace('.', '\\.')}: expected a whole number`),
      );
    }
  });
});

describe('tuneGatewayHeap', () => {
  it('reports a factor given at start (the launcher puts it there) without setting it again', () => {
    expect(tuneGatewayHeap({}, ['--max-semi-space-size=4', '--heap-growing-percent=30'])).toBe(
      '--heap-growing-percent=30',
    );
    expect(tuneGatewayHeap({ [HEAP_GROWING_PERCENT_ENV]: 'abc' }, ['--heap-growing-percent=80'])).toBe(
      '--heap-growing-percent=80',
    );
  });
});

describe('gatewayProcessSizing', () => {
  it('reads the semi-space and compaction from the command line over NODE_OPTIONS, and malloc', () => {
    expect(gatewayProcessSizing({}, [])).toEqual({
      semi_space: "V8's default",
      compaction: "V8's heuristics",
      malloc: "glibc's defaults",
    });
    expect(
      gatewayProcessSizing({ MALLOC_ARENA_MAX: '2', MALLOC_TOP_PAD_: '0' }, [
        '--max-semi-space-size=4',
        '--compact-on-every-full-gc',
      ]),
    ).toEqual({
      semi_space: '4 MB',
      compaction: 'every full GC',
      malloc: 'MALLOC_ARENA_MAX=2 MALLOC_TOP_PAD_=0',
    });
    expect(
      gatewayProcessSizing({ NODE_OPTIONS: '--compact-on-every-full-gc' }, ['--no-compact-on-every-full-gc']),
    ).toMatchObject({ compaction: "V8's heuristics" });
    expect(gatewayProcessSizing({ NODE_OPTIONS: '--max-semi-space-size=8' }, [])).toMatchObject({
      semi_space: '8 MB',
    });
    expect(
      gatewayProcessSizing({ NODE_OPTIONS: '--max_semi_space_size=8' }, ['--max-semi-space-size=2']),
    ).toMatchObject({
      semi_space: '2 MB',
    });
    expect(gatewayProcessSizing({ NODE_OPTIONS: '--max-semi-space-size=0' }, [])).toMatchObject({
      semi_space: "V8's default",
    });
  });
});

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

/**
 * The gateway's "V8 heap" debug log line (OXYDRA_DEBUG=1): how its memory was sized. It is
 * written just after the "listening on" line GatewayDaemon.start waits for, and may arrive in a
 * later read of the pipe.
 */
async function heapLine(started: GatewayDaemon) {
  const line = () => started.logs().find((entry) => entry.msg === 'V8 heap');
  await pollUntil(() => line() !== undefined, 'the "V8 heap" log line', { timeoutMs: 20_000 });
  return line();
}

describe('oxydra gateway', () => {
  it('sets the heap growing factor at start-up, or leaves it when told to', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.sandbox.env.OXYDRA_DEBUG = '1';
    daemon = await GatewayDaemon.start(env);
    expect(await heapLine(daemon)).toMatchObject({
      heap_growing: '--heap-growing-percent=30',
    });
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    env.sandbox.env[HEAP_GROWING_PERCENT_ENV] = '0';
    daemon = await GatewayDaemon.start(env);
    expect(await heapLine(daemon)).toMatchObject({
      heap_growing: "V8's default",
    });
  });

  it('started as the `oxydra` command, gets a 4 MB semi-space, compaction and malloc settings unless the user set them', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.asCommand = true;
    env.sandbox.env.OXYDRA_DEBUG = '1';
    daemon = await GatewayDaemon.start(env);
    expect(await heapLine(daemon)).toMatchObject({
      semi_space: '4 MB',
      compaction: 'every full GC',
      malloc:
        'MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=32768 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_TOP_PAD_=0',
    });
    // The process itself, as the kernel sees it: one node process (the launcher exec'd it).
    const pid = daemon.child.pid!;
    // The heap growing factor is on the command line too: every V8 flag in place before any
    // code compiles keeps the gateway's code cache valid.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 6)).toEqual([
      'node',
      '--min-semi-space-size=4',
      '--max-semi-space-size=4',
      '--compact-on-every-full-gc',
      `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`,
      OXYDRA_BIN,
    ]);
    expect(await heapLine(daemon)).toMatchObject({
      heap_growing: `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`,
    });
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    // The user's factor is set by the gateway itself; the launcher leaves it off the command line.
    env.sandbox.env[HEAP_GROWING_PERCENT_ENV] = '50';
    daemon = await GatewayDaemon.start(env);
    expect(readFileSync(`/proc/${daemon.child.pid!}/cmdline`, 'utf8')).not.toContain('heap-growing');
    expect(await heapLine(daemon)).toMatchObject({ heap_growing: '--heap-growing-percent=50' });
    delete env.sandbox.env[HEAP_GROWING_PERCENT_ENV];
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    // The user's own choices win: NODE_OPTIONS's semi-space (0 is V8's own sizing, and then no
    // V8 flag at all), their malloc settings.
    env.sandbox.env.NODE_OPTIONS = '--max-semi-space-size=0';
    env.sandbox.env.MALLOC_ARENA_MAX = '8';
    env.sandbox.env.MALLOC_MMAP_THRESHOLD_ = '262144';
    daemon = await GatewayDaemon.start(env);
    expect(await heapLine(daemon)).toMatchObject({
      semi_space: "V8's default",
      compaction: "V8's heuristics",
      malloc:
        'MALLOC_ARENA_MAX=8 MALLOC_MMAP_THRESHOLD_=262144 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_TOP_PAD_=0',
    });
    const cmdline = readFileSync(`/proc/${daemon.child.pid!}/cmdline`, 'utf8');
    expect(cmdline).not.toContain('semi-space');
    expect(cmdline).not.toContain('compact');
  });

  it('started with `node bin/oxydra.js` (no launcher), keeps Node defaults', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.sandbox.env.OXYDRA_DEBUG = '1';
    daemon = await GatewayDaemon.start(env);
    expect(await heapLine(daemon)).toMatchObject({
      semi_space: "V8's default",
      compaction: "V8's heuristics",
      malloc: "glibc's defaults",
    });
  });

  it('other commands pass through the launcher with their arguments intact', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [{ reply: { text: 'done' } }]);
    env.asCommand = true;
    const prompt = `it's "two  words" $HOME \\ *`;
    const result = await env.run(['run', prompt]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.stringify(env.mock.requests[0]?.body)).toContain(JSON.stringify(prompt));
  });

  it('refuses a bad value before it listens', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.sandbox.env[HEAP_GROWING_PERCENT_ENV] = 'lots';
    const child = env.spawn(['gateway', '--bind', '127.0.0.1:0', '--log-format', 'json']);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/OXYDRA_GATEWAY_HEAP_GROWING_PERCENT=lots: expected a whole number/);
  });
});
