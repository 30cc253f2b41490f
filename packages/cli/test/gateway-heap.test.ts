/**
 * The gateway's V8 heap sizing (run/gateway-heap.ts): the old generation may grow 30% past what
 * survived the last full GC unless the operator chose otherwise, and the real `oxydra gateway`
 * applies it at start-up (its debug log says which) or refuses a bad value before listening.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAP_GROWING_PERCENT,
  HEAP_GROWING_PERCENT_ENV,
  heapGrowingFlag,
} from '../src/run/gateway-heap.js';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';

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

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

describe('oxydra gateway', () => {
  it('sets the heap growing factor at start-up, or leaves it when told to', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.sandbox.env.OXYDRA_DEBUG = '1';
    daemon = await GatewayDaemon.start(env);
    expect(daemon.logs().find((line) => line.msg === 'V8 heap')).toMatchObject({
      heap_growing: '--heap-growing-percent=30',
    });
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    env.sandbox.env[HEAP_GROWING_PERCENT_ENV] = '0';
    daemon = await GatewayDaemon.start(env);
    expect(daemon.logs().find((line) => line.msg === 'V8 heap')).toMatchObject({
      heap_growing: "V8's default",
    });
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
