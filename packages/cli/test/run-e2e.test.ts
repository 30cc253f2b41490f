/**
 * `oxydra run` end to end on each of the four wire APIs: the real binary, the testkit's mock of
 * the API, real files in a temp workspace, real subprocesses.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { RunEndEvent, StreamEvent } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY } from './agent-env.js';
import { auditEntries } from './helpers.js';
import { anyContains, moduleRecorder } from './module-recorder.js';
import { processesLeftBehind, processesWith, uniqueSleep } from './processes.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function outcome(events: StreamEvent[]): RunEndEvent {
  const last = events.at(-1);
  if (!last || (last.type !== 'run_completed' && last.type !== 'run_failed')) {
    throw new Error(`the last JSON line is not the run's outcome: ${JSON.stringify(last)}`);
  }
  return last;
}

describe.each(E2E_APIS)('oxydra run on $api', (target) => {
  it('creates and edits files, sends tool output back to the model, and ends with the outcome line', async () => {
    env = await AgentEnv.start(target, [
      {
        reply: {
          toolCalls: [
            { name: 'file_write', arguments: { path: 'notes/list.txt', content: 'alpha\nbeta\n' } },
          ],
        },
      },
      {
        reply: {
          toolCalls: [
            { name: 'file_edit', arguments: { path: 'notes/list.txt', old_text: 'beta', new_text: 'gamma' } },
          ],
        },
      },
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes/list.txt' } }] } },
      { reply: { text: 'Finished: the list now ends with gamma.', usage: { input: 300, output: 12 } } },
    ]);
    const result = await env.run(['run', '--json', 'Make a list and fix it']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'notes/list.txt'), 'utf8')).toBe('alpha\ngamma\n');
    const end = outcome(result.events);
    expect(end).toMatchObject({
      type: 'run_completed',
      text: 'Finished: the list now ends with gamma.',
      turns: 4,
    });
    expect(end.costUsd).toBeGreaterThan(0);
    expect(env.mock.requests).toHaveLength(4);
    // The file_read result (the edited content) reached the model in the last request.
    expect(env.requestText(3)).toMatch(/alpha\\ngamma/);
    expect(env.requestText(0)).toContain('Make a list and fix it');
  });

  it('stops at the turn budget with exit code 1', async () => {
    env = await AgentEnv.start(target, [
      { reply: { toolCalls: [{ name: 'file_list', arguments: {} }] }, times: 'always' },
    ]);
    const result = await env.run(['run', '--json', '--max-turns', '2', 'List forever']);
    expect(result.status).toBe(1);
    const end = outcome(result.events);
    expect(end.type).toBe('run_failed');
    expect(end.error?.code).toBe('budget_exceeded');
    expect(end.error?.message).toMatch(/turn/i);
    expect(end.turns).toBe(2);
    expect(env.mock.requests).toHaveLength(2);
  });

  it('stops at the dollar budget with exit code 1', async () => {
    // gpt-4o-mini at $0.15 per million input tokens: 200k tokens cost $0.03 per call.
    env = await AgentEnv.start(target, [
      {
        reply: { toolCalls: [{ name: 'file_list', arguments: {} }], usage: { input: 200_000, output: 10 } },
        times: 'always',
      },
    ]);
    const result = await env.run(['run', '--json', '--max-cost', '0.05', 'Spend money']);
    expect(result.status).toBe(1);
    const end = outcome(result.events);
    expect(end.error?.code).toBe('budget_exceeded');
    expect(end.error?.message).toMatch(/cost|\$/i);
    expect(end.costUsd).toBeGreaterThan(0.05);
    expect(end.costUsd).toBeLessThan(0.1);
  });

  it('fails at once on a provider auth error, naming the key source but not the key', async () => {
    env = await AgentEnv.start(target, [{ fault: { status: 401 }, times: 'always' }]);
    const human = await env.run(['run', 'Hello']);
    expect(human.status).toBe(1);
    expect(human.stderr).toContain('$MOCK_KEY');
    expect(human.stderr + human.stdout).not.toContain(E2E_KEY);
    const json = await env.run(['run', '--json', 'Hello']);
    const end = outcome(json.events);
    expect(end.error).toMatchObject({ code: 'provider_error', kind: 'auth' });
    expect(env.mock.requests).toHaveLength(2); // one per run: auth errors are not retried
  });

  it('is cancelled by SIGINT, killing the running command and leaving no process behind', async () => {
    const marker = uniqueSleep();
    env = await AgentEnv.start(target, [
      {
        reply: {
          toolCalls: [
            { name: 'shell_exec', arguments: { command: `sleep ${marker} & sleep ${marker}; echo never` } },
          ],
        },
      },
      { reply: { text: 'not reached' }, times: 'always' },
    ]);
    const result = await env.run(['run', '--json', 'Wait a long time'], async (child, output) => {
      await pollUntil(
        () => output().includes('"tool_execution_start"') && processesWith(`sleep ${marker}`).length >= 2,
        'the command to start',
        { timeoutMs: 20_000 },
      );
      child.kill('SIGINT');
    });
    expect(result.status).toBe(1);
    expect(outcome(result.events).error?.code).toBe('cancelled');
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });

  it('hands invalid tool arguments back and accepts the corrected call', async () => {
    env = await AgentEnv.start(target, [
      { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'fixed.txt' } }] } },
      {
        reply: {
          toolCalls: [{ name: 'file_write', arguments: { path: 'fixed.txt', content: 'now complete' } }],
        },
      },
      { reply: { text: 'Fixed my call.' } },
    ]);
    const result = await env.run(['run', '--json', 'Write a file']);
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'fixed.txt'), 'utf8')).toBe('now complete');
    expect(env.requestText(1)).toMatch(/content/);
    expect(env.requestText(1)).toMatch(/[Ii]nvalid arguments/);
  });

  it('reports an ambiguous edit snippet to the model without changing the file', async () => {
    env = await AgentEnv.start(target, [
      {
        reply: {
          toolCalls: [
            { name: 'file_edit', arguments: { path: 'dup.txt', old_text: 'same', new_text: 'other' } },
          ],
        },
      },
      { reply: { text: 'The snippet was ambiguous.' } },
    ]);
    writeFileSync(join(env.workspace, 'dup.txt'), 'same\nsame\n');
    const result = await env.run(['run', '--json', 'Edit it']);
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'dup.txt'), 'utf8')).toBe('same\nsame\n');
    const edit = result.events.find((e) => e.type === 'tool_execution_end');
    expect(edit).toMatchObject({ name: 'file_edit', isError: true });
    expect(edit?.type === 'tool_execution_end' && edit.content).toMatch(/2/);
    expect(env.requestText(1)).toMatch(/2 (matches|places|occurrences|times)/);
  });

  it('refuses a path that escapes the workspace', async () => {
    env = await AgentEnv.start(target, [
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: '../secret.txt' } }] } },
      { reply: { text: 'Refused, as it should be.' } },
    ]);
    writeFileSync(join(env.sandbox.root, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const result = await env.run(['run', '--json', 'Read outside']);
    expect(result.status).toBe(0);
    const read = result.events.find((e) => e.type === 'tool_execution_end');
    expect(read).toMatchObject({ name: 'file_read', isError: true });
    expect(env.requestText(1)).toMatch(/escapes the workspace/);
    expect(result.stdout).not.toContain('TOP-SECRET-CONTENT');
    expect(env.requestText(1)).not.toContain('TOP-SECRET-CONTENT');
  });

  it('times out a shell command and kills its whole process group', async () => {
    const marker = uniqueSleep();
    env = await AgentEnv.start(
      target,
      [
        {
          reply: {
            toolCalls: [{ name: 'shell_exec', arguments: { command: `sleep ${marker} & sleep ${marker}` } }],
          },
        },
        { reply: { text: 'It timed out.' } },
      ],
      '\n[tools.shell]\ncommand_timeout_secs = 1\n',
    );
    const result = await env.run(['run', '--json', 'Run a slow command']);
    expect(result.status).toBe(0);
    const shell = result.events.find((e) => e.type === 'tool_execution_end');
    expect(shell).toMatchObject({ name: 'shell_exec', isError: true });
    expect(env.requestText(1)).toMatch(/timed out/i);
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });

  it('runs read-only calls in parallel and returns both results in one follow-up request', async () => {
    env = await AgentEnv.start(target, [
      {
        reply: {
          toolCalls: [
            { name: 'file_read', arguments: { path: 'a.txt' } },
            { name: 'file_read', arguments: { path: 'b.txt' } },
          ],
        },
      },
      { reply: { text: 'Read both.' } },
    ]);
    writeFileSync(join(env.workspace, 'a.txt'), 'CONTENT-OF-A');
    writeFileSync(join(env.workspace, 'b.txt'), 'CONTENT-OF-B');
    const result = await env.run(['run', '--json', 'Read a and b']);
    expect(result.status).toBe(0);
    expect(env.mock.requests).toHaveLength(2);
    expect(env.requestText(1)).toContain('CONTENT-OF-A');
    expect(env.requestText(1)).toContain('CONTENT-OF-B');
    const types = result.events
      .filter((e) => e.type === 'tool_execution_start' || e.type === 'tool_execution_end')
      .map((e) => e.type);
    // Both calls start before either ends: they ran as one parallel batch.
    expect(types).toEqual([
      'tool_execution_start',
      'tool_execution_start',
      'tool_execution_end',
      'tool_execution_end',
    ]);
  });
});

describe('oxydra run in a terminal-less shell', () => {
  it('streams the answer on stdout and the activity and usage line on stderr', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { toolCalls: [{ name: 'file_list', arguments: {} }] } },
      { reply: { text: 'All done here.', usage: { input: 50, output: 5 } } },
    ]);
    const result = await env.run(['run', 'Look around']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('All done here.');
    expect(result.stderr).toContain('-> file_list');
    expect(result.stderr).toMatch(/done: 2 model calls · \S+ in \/ \S+ out tokens · \$/);
    expect(result.stderr).not.toContain('\u001b['); // no colour when not a terminal
  });

  it('denies a privileged tool when nobody can approve it, saying how to allow it', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'touch approved.txt' } }] } },
      { reply: { text: 'Not allowed.' } },
    ]);
    env.sandbox.write('.oxydra/providers.toml', '[tools]\napproval = "ask"\n');
    const denied = await env.run(['run', '--json', 'Touch a file']);
    expect(denied.status).toBe(0);
    expect(existsSync(join(env.workspace, 'approved.txt'))).toBe(false);
    expect(env.requestText(1)).toContain('--yes');
    env.mock.reset();
    const approved = await env.run(['run', '--json', '--yes', 'Touch a file']);
    expect(approved.status).toBe(0);
    expect(existsSync(join(env.workspace, 'approved.txt'))).toBe(true);
    // Both decisions are in the audit log, which tools cannot reach.
    const audit = auditEntries(env.workspace, 'approval').map(
      (entry) => entry.data as { tool: string; approved: boolean; by: string; summary: string },
    );
    expect(audit.map((r) => [r.tool, r.approved, r.by])).toEqual([
      ['shell_exec', false, 'no_approver'],
      ['shell_exec', true, 'auto'],
    ]);
    expect(audit[1]!.summary).toContain('touch approved.txt');
  });

  it('fails at once without credentials, listing the ways to fix it', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, []);
    env.sandbox.write('.oxydra/agent.toml', '');
    const result = await env.run(['run', 'Hello']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no API key for provider openai');
    expect(result.stderr).toContain('OPENAI_API_KEY');
    expect(result.stderr).toContain('oxydra init');
    expect(result.stderr).toContain('--base-url');
    expect(env.mock.requests).toHaveLength(0);
  });

  it('uses an [agents.<name>] prompt and tool allowlist with --agent', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Reviewed.' } }]);
    env.sandbox.write(
      '.oxydra/providers.toml',
      '[agents.reviewer]\nsystem_prompt = "You review code and never change it."\ntools = ["file_read", "file_search"]\n',
    );
    const result = await env.run(['run', '--json', '--agent', 'reviewer', 'Review main.py']);
    expect(result.status).toBe(0);
    const body = env.mock.requests[0]!.body as {
      messages: { role: string; content: string }[];
      tools: { function: { name: string } }[];
    };
    expect(body.messages[0]!.content).toContain('You review code and never change it.');
    expect(body.tools.map((t) => t.function.name).sort()).toEqual(['file_read', 'file_search']);
    const unknown = await env.run(['run', '--agent', 'reviewr', 'x']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('(did you mean "reviewer"?)');
  });

  it('rejects a missing prompt and an unknown tool name with exit code 2', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, []);
    const noPrompt = await env.run(['run']);
    expect(noPrompt.status).toBe(2);
    const badTool = await env.run(['run', '--tools', 'file_reed', 'x']);
    expect(badTool.status).toBe(2);
    expect(badTool.stderr).toContain('unknown tool "file_reed" (did you mean "file_read"?)');
  });

  it('loads the Node built-ins it uses before setting a V8 flag, which would refuse their cached code', async () => {
    // Once a V8 flag is set, Node compiles each built-in it then loads from scratch (fetch's
    // first use ~55 ms instead of ~28): bin/oxydra.js loads them first (MODEL_COMMAND_BUILTINS).
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }]);
    const preload = join(env.sandbox.root, 'after-flag.cjs');
    const log = join(env.sandbox.root, 'after-flag.json');
    writeFileSync(
      preload,
      `const v8 = require('node:v8');
const set = v8.setFlagsFromString;
let at;
v8.setFlagsFromString = function (flags) { at ??= process.moduleLoadList.length; return set.call(this, flags); };
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(log)}, JSON.stringify(at === undefined ? null : process.moduleLoadList.slice(at))));
`,
    );
    env.sandbox.env.NODE_OPTIONS = `--require=${preload}`;
    const result = await env.run(['run', 'Say hello']);
    expect(result.status, result.stderr).toBe(0);
    const after = JSON.parse(readFileSync(log, 'utf8')) as string[] | null;
    expect(after, 'run sets the WebAssembly tiering flag').not.toBeNull();
    const builtins = after!
      .filter((entry) => entry.startsWith('NativeModule '))
      .map((entry) => entry.slice(13));
    // The record can tell: Node's internal modules do load after the flag (libSQL's glibc check).
    expect(builtins).toContain('internal/process/report');
    expect(builtins.filter((name) => !name.startsWith('internal/'))).toEqual([]);
  });

  it('loads none of the gateway: neither its server nor its protocol schemas', async () => {
    // Building the protocol's ~190 Zod schemas cost every `oxydra run` ~5-10 ms at start-up
    // while the gateway protocol lived in the chunk with the config schemas.
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }]);
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const result = await env.run(['run', 'Say hello']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Hello.');
    const run = recorder.loaded();
    expect(run.some((url) => url.endsWith('/bundle/main.cjs'))).toBe(true);
    expect(anyContains(run, 'cancel_all_active_turns')).toBe(false);
    expect(anyContains(run, 'FST_ERR_CTP_ALREADY_PRESENT')).toBe(false);
    // The checks can tell: the gateway command loads both.
    recorder.clear();
    expect((await env.run(['gateway', '--bind', 'not-an-address'])).status).toBe(2);
    const gateway = recorder.loaded();
    expect(anyContains(gateway, 'cancel_all_active_turns')).toBe(true);
    expect(anyContains(gateway, 'FST_ERR_CTP_ALREADY_PRESENT')).toBe(true);
  });
});
