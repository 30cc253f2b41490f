/**
 * Built-in modules cost the gateway's start-up more than they cost other Node programs: with the
 * launcher's V8 flags (bin/oxydra.js) V8 refuses Node's cached code for them, so each is compiled
 * on first require. The launcher loads those the gateway uses with V8's flags set back to their
 * defaults for a moment (loadStartBuiltins), so they come from Node's cache after all; the bundle
 * leaves out of start-up the ones the gateway does not use before it serves (scripts/bundle-cli.mjs,
 * ON_DEMAND): Fastify's node:http2 and node:https, ws's node:https, node:tls and node:zlib, and
 * semver (PLUGIN_VERSIONS_AT_BUILD), and the bundle chunks it never runs (LAZY_CHUNKS); libsql's glibc check without a diagnostic report (1-7 ms);
 * and Fastify's router compiles a prefix matcher, a params maker and a constraint matcher at their
 * first use (scripts/bundle-router-on-demand.mjs). The real binary records what it
 * loaded by the time it listens (fixtures/record-builtins.cjs, fixtures/record-builtins-cache.cjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { LAZY_CHUNKS } from '../../../scripts/bundle-lazy-chunks.mjs';
import { HEAP_GROWING_FLAG, LAUNCH_TABLE, v8FlagDefault, v8FlagName } from '../bin/launch-table.mjs';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';
import { moduleRecorder } from './module-recorder.js';

/** glibc, as detect-libc (which libsql asks) tells it: from /usr/bin/ldd. */
const isGlibc = () => existsSync('/usr/bin/ldd') && readFileSync('/usr/bin/ldd', 'utf8').includes('GLIBC');

const recorder = fileURLToPath(new URL('./fixtures/record-builtins.cjs', import.meta.url));
const cacheRecorder = fileURLToPath(new URL('./fixtures/record-builtins-cache.cjs', import.meta.url));

/** The V8 flags the launcher starts `oxydra gateway` with (gateway-heap.test.ts checks its command line). */
const { gateway } = LAUNCH_TABLE;
const LAUNCHER_FLAGS = [...gateway.startV8Flags, `${HEAP_GROWING_FLAG}=${gateway.heapGrowingPercent}`];

/**
 * Node's modules that Node loads inside a function the gateway calls (fs.rmSync, and
 * util.isDeepStrictEqual), not when a built-in is required: bin/oxydra.js cannot load them ahead.
 */
const LOADED_INSIDE_CALLS = ['internal/fs/rimraf', 'internal/util/comparisons'];

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

describe('oxydra gateway start-up', () => {
  it("listens without having loaded node:http2, node:https, node:tls or node:zlib, made a diagnostic report or compiled most of its router's functions", async () => {
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
    // Fastify's router compiles a node's prefix matcher at the first lookup that reaches it
    // (scripts/bundle-router-on-demand.mjs, ROUTER_PREFIX_ON_DEMAND), not as it makes the node: before it
    // listens, only those Fastify's own lookups while adding routes reach (10 when written;
    // 63, one a static node, when each was compiled as it was made); and then routes as before.
    const matchers = Number(/^router prefix matchers: (\d+)$/m.exec(builtins.join('\n'))?.[1]);
    expect(matchers).toBeLessThan(25);
    // Nor a route's params maker and its node's constraint matcher, each compiled at its first
    // call (ROUTER_HANDLERS_ON_DEMAND): none before it listens (250 when each was compiled as
    // its route was added).
    const handlers = Number(/^router handler functions: (\d+)$/m.exec(builtins.join('\n'))?.[1]);
    expect(handlers).toBe(0);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    // The launcher takes V8's flag setter from process.binding('v8') (v8FlagSetter) without
    // Node's deprecation warning for it reaching the user.
    expect(daemon.stderr).not.toContain('DEP0111');
  });

  it("listens without having loaded semver: Fastify's check of a plugin's declared version was made when the bundle was", async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.asCommand = true;
    // semver writes a line per regular expression it builds when it loads, under NODE_DEBUG=semver.
    env.sandbox.env.NODE_DEBUG = 'semver';
    daemon = await GatewayDaemon.start(env);
    expect(daemon.stderr).not.toContain('SEMVER');
  });

  // Rolldown requires every chunk a file imports at that file's top: the bundle's chunks the
  // start never runs are required at their first use instead (scripts/bundle-lazy-chunks.mjs).
  it('is ready without having loaded the bundle chunks it never runs (ajv, semver, safe-stable-stringify)', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.asCommand = true;
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    daemon = await GatewayDaemon.start(env);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    const loaded = recorder
      .loaded()
      .filter((url) => url.startsWith('file:') && url.includes('/bundle/'))
      .map((url) => basename(fileURLToPath(url)));
    // The recorder sees the CommonJS bundle's files (the gateway runs from them).
    expect(loaded.some((file) => /^main-[\w-]{8}\.cjs$/.test(file))).toBe(true);
    const lazy = (file: string) =>
      (LAZY_CHUNKS as string[]).some((name) => new RegExp(`^${name}-[\\w-]{8}\\.cjs$`).test(file));
    expect(loaded.filter(lazy)).toEqual([]);
  });

  it("compiles the built-ins it loads before it listens from Node's shipped code, with the launcher's V8 flags in force", async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    const file = join(env.sandbox.root, 'builtins-cache.json');
    // The launcher's exec, with Node's internals exposed for the record (NODE_OPTIONS may not).
    env.asCommand = true;
    env.commandPrefix = [
      process.execPath,
      '--expose-internals',
      '--no-warnings',
      ...LAUNCHER_FLAGS,
      `--require=${cacheRecorder}`,
    ];
    env.sandbox.env.OXYDRA_TEST_BUILTINS_FILE = file;
    daemon = await GatewayDaemon.start(env);
    daemon.kill('SIGUSR2');
    await pollUntil(() => existsSync(file), 'the record of compiled built-ins', { timeoutMs: 20_000 });
    const record = JSON.parse(readFileSync(file, 'utf8')) as {
      loaded: string[];
      withoutCache: string[];
      withCache: string[];
      launcherBegan: number;
    };
    // Until bin/oxydra.js's first require: Node's own start, compiled under the launcher's flags
    // whatever it does. The record can tell: it lists some of those as compiled from source, and
    // the HTTP server from Node's cache. From there on nothing is, not even node:v8 and the
    // streams it loads (the launcher sets the flags through Node's binding, v8FlagSetter).
    const began = record.launcherBegan;
    expect(record.loaded.slice(0, began).some((name) => record.withoutCache.includes(name))).toBe(true);
    const fromSource = record.loaded.slice(began).filter((name) => record.withoutCache.includes(name));
    expect(fromSource.filter((name) => !LOADED_INSIDE_CALLS.includes(name))).toEqual([]);
    expect(record.withCache).toContain('http');
  });

  it("sets the launcher's V8 flags back to V8's own defaults, as `node --v8-options` gives them", () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of LAUNCHER_FLAGS) {
      const name = v8FlagName(flag);
      const given = new RegExp(`\\n\\s+--${name} \\(.*\\n\\s+type: \\w+\\s+default: (\\S+)`).exec(options);
      expect(given?.[1], name).toBe(v8FlagDefault(flag));
    }
  });
});
