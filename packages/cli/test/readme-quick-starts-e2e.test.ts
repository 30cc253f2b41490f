/**
 * The README's quick starts, run as written: each `<!-- quick-start: NAME -->` block is
 * executed by bash (`set -euo pipefail`) in a fresh workspace, with `oxydra` on PATH as the
 * built binary and the testkit's mock server standing in for the model. Only addresses change:
 * the local model's 127.0.0.1:11434 becomes the mock's port and the gateway's 127.0.0.1:7700 a
 * free port, so a test never depends on a port being free. If the README drifts from what works,
 * this fails.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { freePort } from './ports.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const ANSWER = 'This folder holds a small project.';

/** The fenced bash block right after `<!-- quick-start: name -->`. */
function quickStart(name: string): string {
  const match = new RegExp(`<!-- quick-start: ${name} -->\\n\`\`\`bash\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  if (!match?.[1]) throw new Error(`README.md has no quick-start block "${name}"`);
  return match[1];
}

let sandbox: CliSandbox | undefined;
let mock: MockLLM | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await mock?.close();
  mock = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
});

/** A workspace whose PATH has `oxydra` (the built binary), and the mock standing in for the model. */
async function setUp(): Promise<CliSandbox> {
  mock = await startMockLLM({ api: 'openai-chat', scenario: [{ reply: { text: ANSWER }, times: 'always' }] });
  const box = new CliSandbox({ OXYDRA__PROVIDERS__REGISTRY__OPENAI__BASE_URL: mock.url });
  const bin = join(box.root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'oxydra'), `#!/bin/sh\nexec "${process.execPath}" "${OXYDRA_BIN}" "$@"\n`);
  chmodSync(join(bin, 'oxydra'), 0o755);
  box.env.PATH = `${bin}:${process.env.PATH}`;
  sandbox = box;
  return box;
}

/** bash -euo pipefail on the block; resolves with its output when it ends (or is killed at 60 s). */
function runBlock(box: CliSandbox, script: string): Promise<{ status: number | null; output: string }> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: box.workspace,
    env: box.env,
    // A bash whose stdin is a pipe or socket may read bashrc; give it none.
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a background job it left behind (a gateway) is ended with it.
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  // When bash ends, end what it left running too; its output is complete once the pipes close.
  child.once('exit', () => {
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, output })));
}

describe("the README's quick starts work as written", () => {
  it('local model, then the gateway in the same folder', async () => {
    const box = await setUp();
    const local = quickStart('local-model').replaceAll('127.0.0.1:11434', new URL(mock!.url).host);
    const first = await runBlock(box, local);
    expect(first.output).toContain('Ready.');
    expect(first.output).toContain(ANSWER);
    expect(first.status, first.output).toBe(0);

    const port = await freePort();
    const gateway = quickStart('gateway').replaceAll('127.0.0.1:7700', `127.0.0.1:${port}`);
    const second = await runBlock(box, gateway);
    expect(second.status, second.output).toBe(0);
    const completion = /\{"id":"chatcmpl[^\n]*\}/.exec(second.output)?.[0];
    expect(JSON.parse(completion ?? '{}').choices?.[0]?.message?.content).toBe(ANSWER);
    // Both went to the stand-in: the chat calls of run and of the gateway's turn.
    expect(mock!.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);
  });

  // The process tier sandboxes alice's shell commands with bubblewrap and refuses to start without it.
  it.skipIf(!existsSync('/usr/bin/bwrap'))('the runner', async () => {
    const box = await setUp();
    // Whatever the block did, no daemon or guest outlives the test.
    cleanups.push(() => runBlock(box, 'oxydra runner stop'));
    const result = await runBlock(box, quickStart('runner'));
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('runner for user alice: healthy');
    expect(result.output).toContain('guest: gateway listening at ws://127.0.0.1:');
    expect(result.output).toMatch(/runner for user alice: stopped\n$/);
  });
});
