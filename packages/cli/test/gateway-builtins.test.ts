/**
 * Built-in modules cost the gateway's start-up more than they cost other Node programs: with the
 * launcher's V8 flags (bin/oxydra.js) V8 refuses Node's cached code for them, so each is compiled
 * on first require. The bundle leaves out of start-up the ones the gateway does not use before it
 * serves (scripts/bundle-cli.mjs, ON_DEMAND): Fastify's node:http2 and node:https, ws's node:https,
 * node:tls and node:zlib; and libsql's glibc check without a diagnostic report (1-7 ms). The real binary, as the `oxydra` command, records what it
 * loaded by the time it listens (fixtures/record-builtins.cjs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';

/** glibc, as detect-libc (which libsql asks) tells it: from /usr/bin/ldd. */
const isGlibc = () => existsSync('/usr/bin/ldd') && readFileSync('/usr/bin/ldd', 'utf8').includes('GLIBC');

const recorder = fileURLToPath(new URL('./fixtures/record-builtins.cjs', import.meta.url));

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

describe('oxydra gateway start-up', () => {
  it('listens without having loaded node:http2, node:https, node:tls or node:zlib, or made a diagnostic report', async () => {
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
    const onDemand = ['https', 'tls', '_tls_wrap', 'zlib'];
    expect(builtins.filter((name) => onDemand.includes(name))).toEqual([]);
    // libsql's native build chosen without a diagnostic report (scripts/bundle-cli.mjs), on
    // glibc Linux, where these tests run; elsewhere it still asks for one.
    if (process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch) && isGlibc())
      expect(builtins).toContain('process.report.getReport: 0');
  });
});
