/**
 * Secrets on their way back, through the real binary: a credential-named variable passed to
 * commands ([tools.shell] env_keys) printed by one, and the provider key coming back base64
 * encoded (`Authorization: Basic base64(user:key)` echoed by a proxy's error, or in a model's
 * answer), and the password of an OTLP endpoint's URL in the warning of a failed export. None
 * reaches the model, the run's events, or any file under the workspace's
 * `.oxydra/` (sessions, kernel.db, memory), nor a session export.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@oxydra/testkit/helpers';
import type { ToolExecutionEndEvent } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

/** Word-like, so the high-entropy rule does not catch them by luck: only the known-secret list can. */
const KEY = 'proxy-Key-alpha-bravo-charlie-2026';
const DB_PASSWORD = 'correct-horse-battery-staple-9';
const BASIC = Buffer.from(`user:${KEY}`).toString('base64');

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Every file under the workspace's .oxydra/ holding `needle` (databases read as bytes). */
function stateHolding(agent: AgentEnv, needle: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path).includes(needle)) found.push(path);
    }
  };
  walk(join(agent.workspace, '.oxydra'));
  return found;
}

describe('secrets on their way back', () => {
  it('a credential-named variable passed to commands is scrubbed from what the command prints', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        {
          reply: {
            toolCalls: [{ name: 'shell_exec', arguments: { command: 'printenv DB_PASSWORD GOPATH' } }],
          },
        },
        { reply: { text: 'Done.' }, times: 'always' },
      ],
      '\n[tools.shell]\nenv_keys = ["DB_PASSWORD", "GOPATH"]\n',
    );
    Object.assign(env.sandbox.env, { DB_PASSWORD, GOPATH: '/opt/go-path' });
    const run = await env.run(['run', '--json', 'print them']);
    expect(run.status, run.stderr).toBe(0);
    const end = run.events.find((e): e is ToolExecutionEndEvent => e.type === 'tool_execution_end');
    // The command did get both; only the credential is hidden from what comes back.
    expect(end?.content).toContain('[REDACTED]');
    expect(end?.content).toContain('/opt/go-path');
    expect(env.mock.requests.map((r) => r.raw).join('\n')).not.toContain(DB_PASSWORD);
    expect(run.stdout).not.toContain(DB_PASSWORD);
    expect(stateHolding(env, DB_PASSWORD)).toEqual([]);
  });

  it("the provider key echoed base64 encoded in a stream's error is scrubbed from the error and the records", async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      {
        reply: { text: 'hello' },
        fault: { streamError: { message: `upstream refused Authorization: Basic ${BASIC}` } },
        times: 'always',
      },
    ]);
    env.sandbox.env.MOCK_KEY = KEY;
    const run = await env.run(['run', '--json', 'hi']);
    expect(run.status).not.toBe(0);
    const failed = run.events.find((e) => e.type === 'run_failed') as { error?: { message?: string } };
    expect(failed?.error?.message).toContain('upstream refused');
    expect(run.stdout + run.stderr).not.toContain(BASIC);
    expect(stateHolding(env, BASIC)).toEqual([]);
  });

  it('the provider key base64 encoded in an answer stays out of the stored session and its export', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { text: `Send this header: Authorization: Basic ${BASIC}` }, times: 'always' },
    ]);
    env.sandbox.env.MOCK_KEY = KEY;
    const run = await env.run(['run', '--json', 'hi']);
    expect(run.status, run.stderr).toBe(0);
    const sessionId = (run.events.find((e) => e.type === 'run_completed') as { sessionId?: string })
      .sessionId;
    const exported = await env.run(['sessions', 'export', sessionId ?? '']);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('Send this header');
    expect(exported.stdout).not.toContain(BASIC);
    expect(stateHolding(env, BASIC)).toEqual([]);
  });

  it("an OTLP endpoint's password is not in the warning of a failed export", async () => {
    const port = await freePort();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'Done.' }, times: 'always' }],
      `\n[otel]\nenabled = true\nendpoint = "http://collector:otlp-${DB_PASSWORD}@127.0.0.1:${port}"\n`,
    );
    const run = await env.run(['run', 'hi']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /\[otel\] export of spans to http:\/\/collector:\[REDACTED\]@127\.0\.0\.1:\d+\/v1\/traces failed/,
    );
    expect(run.stderr).not.toContain(DB_PASSWORD);
  });
});
