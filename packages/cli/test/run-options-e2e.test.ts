/**
 * `oxydra run` end to end, what does not depend on the wire API (the OpenAI chat API's mock
 * serves it): the terminal-less output, approvals without an approver, missing credentials,
 * `--agent` and `--tools`, and what the binary loads. The four wire APIs are in run-e2e.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { auditEntries } from './helpers.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

describe('oxydra run in a terminal-less shell', () => {
  it('streams the answer on stdout and the activity and usage line on stderr', async ({ onTestFinished }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [
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

  it('denies a privileged tool when nobody can approve it, saying how to allow it', async ({
    onTestFinished,
  }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [
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

  it('fails at once without credentials, listing the ways to fix it', async ({ onTestFinished }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, []);
    env.sandbox.write('.oxydra/agent.toml', '');
    const result = await env.run(['run', 'Hello']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no API key for provider openai');
    expect(result.stderr).toContain('OPENAI_API_KEY');
    expect(result.stderr).toContain('oxydra init');
    expect(result.stderr).toContain('--base-url');
    expect(env.mock.requests).toHaveLength(0);
  });

  it('uses an [agents.<name>] prompt and tool allowlist with --agent', async ({ onTestFinished }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [{ reply: { text: 'Reviewed.' } }]);
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
    // Set in the workspace's own .oxydra/: marked as the workspace's words, naming the file.
    expect(body.messages[0]!.content).toContain(
      '<workspace_text source="the workspace file .oxydra/providers.toml">\nProject guidance written in the workspace,',
    );
    expect(body.messages[0]!.content).toContain('You review code and never change it.\n</workspace_text>');
    expect(body.tools.map((t) => t.function.name).sort()).toEqual(['file_read', 'file_search']);
    const unknown = await env.run(['run', '--agent', 'reviewr', 'x']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('(did you mean "reviewer"?)');
  });

  it('rejects a missing prompt and an unknown tool name with exit code 2', async ({ onTestFinished }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, []);
    const noPrompt = await env.run(['run']);
    expect(noPrompt.status).toBe(2);
    const badTool = await env.run(['run', '--tools', 'file_reed', 'x']);
    expect(badTool.status).toBe(2);
    expect(badTool.stderr).toContain('unknown tool "file_reed" (did you mean "file_read"?)');
  });

  it('loads the Node built-ins it uses before setting a V8 flag, which would refuse their cached code', async ({
    onTestFinished,
  }) => {
    // Once a V8 flag is set, Node compiles each built-in it then loads from scratch (fetch's
    // first use ~55 ms instead of ~28): bin/oxydra.js loads them first (MODEL_COMMAND_BUILTINS).
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }]);
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
    // The record can tell: Node's internal modules do load after the flag (internal/fs/streams,
    // say; libSQL's glibc check loaded internal/process/report here until the bundle skipped it).
    expect(builtins.some((name) => name.startsWith('internal/'))).toBe(true);
    expect(builtins.filter((name) => !name.startsWith('internal/'))).toEqual([]);
  });

  it('loads none of the gateway: neither its server nor its protocol schemas', async ({ onTestFinished }) => {
    // Building the protocol's ~190 Zod schemas cost every `oxydra run` ~5-10 ms at start-up
    // while the gateway protocol lived in the chunk with the config schemas.
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }]);
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
