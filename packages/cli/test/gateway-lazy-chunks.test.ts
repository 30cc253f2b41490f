/**
 * The CommonJS bundle's chunks the gateway's start never runs (ajv, semver, safe-stable-stringify:
 * scripts/bundle-lazy-chunks.mjs, LAZY_CHUNKS) are required at their first use, not when the
 * chunks importing them load, which read ~0.36 MB of them and restored and authenticated their
 * code cache at every start. The real binary records every file it loads.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { LAZY_CHUNKS } from '../../../scripts/bundle-lazy-chunks.mjs';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, stopGatewayAndEnv } from './gateway-daemon.js';
import { moduleRecorder } from './module-recorder.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

/** The CommonJS bundle files among `urls`, by name (`<chunk>-<hash>.cjs`). */
const bundleFiles = (urls: string[]) =>
  urls
    .filter((url) => url.startsWith('file:') && url.includes('/bundle/'))
    .map((url) => basename(fileURLToPath(url)));

const lazyChunk = (file: string) =>
  (LAZY_CHUNKS as string[]).some((name) => new RegExp(`^${name}-[\\w-]{8}\\.cjs$`).test(file));

describe('oxydra gateway start-up', () => {
  it('is ready without having loaded the bundle chunks it never runs', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, []);
    env.asCommand = true;
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    daemon = await GatewayDaemon.start(env);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    const loaded = bundleFiles(recorder.loaded());
    // The recorder sees the CommonJS bundle's files (the gateway runs from them).
    expect(loaded.some((file) => /^main-[\w-]{8}\.cjs$/.test(file))).toBe(true);
    expect(loaded.filter(lazyChunk)).toEqual([]);
  });
});
