import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('oxydra chat', () => {
  it('carries the conversation across turns and answers slash commands', async () => {
    env = await AgentEnv.start(E2E_APIS[2]!, [
      { reply: { text: 'Nice to meet you, Ada.', usage: { input: 40, output: 6 } } },
      {
        match: { lastMessageContains: 'my name' },
        reply: { text: 'Your name is Ada.', usage: { input: 60, output: 5 } },
      },
    ]);
    const result = await env.run(['chat'], undefined, 'Hi, I am Ada\n/cost\nWhat is my name?\n/exit\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Nice to meet you, Ada.');
    expect(result.stdout).toContain('Your name is Ada.');
    // The second request carries the first exchange.
    expect(env.requestText(1)).toContain('Hi, I am Ada');
    expect(env.requestText(1)).toContain('Nice to meet you, Ada.');
    expect(result.stderr).toMatch(/1 model call · 40 in \/ 6 out tokens/);
    expect(result.stderr).toMatch(/2 model calls · 100 in \/ 11 out tokens/);
    // How to come back is said once, at the end, as the chat it is: not after every reply as
    // `--session` (a flag of run's too, where it would start a one-shot run instead).
    expect(result.stderr.match(/continue with/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/\(continue with oxydra chat --session \w+\)\n$/);
  });

  it('forgets the conversation on /clear', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'ok' }, times: 'always' }]);
    const result = await env.run(['chat'], undefined, 'remember BANANA\n/clear\nsecond message\n');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('conversation cleared');
    // The old turns are not part of the new conversation (memory may still recall them, as
    // it recalls any earlier session: that is a system message, not history).
    const messages = (env.mock.requests[1]!.body as { messages: { role: string; content: unknown }[] })
      .messages;
    const turns = messages.filter((m) => m.role !== 'system').map((m) => m.content);
    expect(turns).toEqual(['second message']);
  });
});

describe('oxydra demo', () => {
  let sandbox: CliSandbox | undefined;
  afterEach(() => sandbox?.cleanup());

  it('runs a real multi-step task with a scripted model and no key', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('demo');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('the model is SCRIPTED');
    expect(result.stdout).toContain('- [x] write the report');
    expect(result.stdout).toContain('- [ ] review the budget');
    expect(result.stdout).toContain('the command counted 2 still open');
    expect(result.stderr).toContain('-> file_write notes/todo.md');
    expect(result.stderr).toContain('-> shell_exec grep');
    expect(result.stderr).toMatch(/done: 5 model calls/);
  });

  it('`oxydra demo | head -1` leaves no throwaway workspace behind', async () => {
    sandbox = new CliSandbox();
    const tmp = mkdtempSync(join(tmpdir(), 'oxydra-demo-pipe-'));
    try {
      // The reader takes the first line and goes: the demo's next write meets a broken pipe.
      const child = spawn(process.execPath, [OXYDRA_BIN, 'demo'], {
        cwd: sandbox.workspace,
        env: { ...sandbox.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      expect(code).toBe(0);
      expect(readdirSync(tmp).filter((name) => name.startsWith('oxydra-demo-'))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('prints the event stream with --json, ending with run_completed', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('demo', '--json');
    expect(result.status).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; turns?: number });
    expect(events.at(-1)).toMatchObject({ type: 'run_completed', turns: 5 });
    const ends = events.filter((e) => e.type === 'tool_execution_end') as unknown as {
      name: string;
      content: string;
    }[];
    expect(ends.find((e) => e.name === 'shell_exec')?.content).toMatch(/^2\b/m);
  });
});
