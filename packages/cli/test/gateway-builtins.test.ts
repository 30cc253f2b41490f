/**
 * Built-in modules cost the gateway's start-up more than they cost other Node programs: with the
 * launcher's V8 flags (bin/oxydra.js) V8 refuses Node's cached code for them, so each is compiled
 * on first require. The bundle leaves out of start-up the ones the gateway never uses: Fastify's
 * node:http2 (scripts/bundle-cli.mjs). The real binary, as the `oxydra` command, records what it
 * loaded by the time it listens (fixtures/record-builtins.cjs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';

const recorder = fileURLToPath(new URL('./fixtures/record-builtins.cjs', import.meta.url));

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

describe('oxydra gateway start-up', () => {
  it('listens without having loaded node:http2', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.asCommand = true;
    const file = join(env.sandbox.root, 'builtins.txt');
    env.sandbox.env.NODE_OPTIONS = `--require=${recorder}`;
    env.sandbox.env.OXYDRA_TEST_BUILTINS_FILE = file;
    daemon = await GatewayDaemon.start(env);
    const builtins = readFileSync(file, 'utf8').split('\n');
    // What the recorder sees: the HTTP server the gateway listens with.
    expect(builtins).toContain('http');
    expect(builtins.filter((name) => name.includes('http2'))).toEqual([]);
  });
});
