import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ApprovalRequest } from '@oxydra/types';
import { Cancelled } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CommandRunner, createCoreTools, type ShellConfig, ToolRegistry } from '../src/index.js';
import { callTool, isAlive, makeWorkspace, shellConfig, type Workspace } from './helpers.js';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

const registryWith = (shell: Partial<ShellConfig> = {}, extra: { runCommand?: CommandRunner } = {}) =>
  new ToolRegistry(createCoreTools({ shell: shellConfig(shell), ...extra }), { approval: 'auto' });
const exec = (command: string, registry = registryWith(), signal?: AbortSignal) =>
  callTool(registry, ws.root, 'shell_exec', { command }, signal ? { signal } : {});

async function pidsFrom(file: string, count: number): Promise<number[]> {
  let pids: number[] = [];
  await pollUntil(
    () => {
      pids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
      return pids.length >= count;
    },
    `the pid file to list ${count} processes`,
    { timeoutMs: 15_000 },
  );
  return pids;
}

describe('shell_exec', () => {
  it('is registered only when [tools.shell] enabled', () => {
    const names = (shell: ShellConfig) => createCoreTools({ shell }).map((tool) => tool.name);
    expect(names(shellConfig())).toEqual([
      'file_read',
      'file_list',
      'file_search',
      'file_write',
      'file_edit',
      'file_delete',
      'shell_exec',
    ]);
    expect(names(shellConfig({ enabled: false }))).not.toContain('shell_exec');
  });

  it('runs in the workspace and reports the exit code with the output', async () => {
    const outcome = await exec('pwd; echo oops >&2; exit 2');
    expect(outcome.isError).toBe(false);
    expect(outcome.content).toBe(`exit code: 2\n${realpathSync(ws.root)}\noops`);
    expect(outcome.data).toMatchObject({ exitCode: 2, timedOut: false });
    expect((await exec('true')).content).toBe('exit code: 0\n(no output)');
  });

  it('asks for approval with the command as the summary', async () => {
    const asked: ApprovalRequest[] = [];
    const registry = new ToolRegistry(createCoreTools({ shell: shellConfig() }), { approval: 'ask' });
    const outcome = await callTool(
      registry,
      ws.root,
      'shell_exec',
      { command: 'echo hi' },
      {
        approve: async (request) => {
          asked.push(request);
          return true;
        },
      },
    );
    expect(asked).toEqual([
      {
        toolName: 'shell_exec',
        arguments: { command: 'echo hi' },
        summary: 'echo hi',
        signal: expect.any(AbortSignal),
      },
    ]);
    expect(outcome.content).toBe('exit code: 0\nhi');
  });

  it('times out after command_timeout_secs and kills the whole process group', async () => {
    const file = join(ws.root, 'pids');
    const pending = exec(
      `sleep 100 & echo $! >> ${file}; sleep 100 & echo $! >> ${file}; echo started; wait`,
      registryWith({ command_timeout_secs: 1 }),
    );
    const pids = await pidsFrom(file, 2);
    const outcome = await pending;
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toBe(
      'timed out after 1 s: the command and everything it started were stopped; exit code: none (stopped by SIGTERM)\nstarted',
    );
    expect(pids).toHaveLength(2);
    await pollUntil(() => pids.every((pid) => !isAlive(pid)), 'the processes to be gone', {
      timeoutMs: 15_000,
    });
  });

  it('is killed, group and all, when the run is cancelled', async () => {
    const file = join(ws.root, 'pids');
    const controller = new AbortController();
    const pending = exec(
      `sleep 100 & echo $! >> ${file}; sleep 100 & echo $! >> ${file}; wait`,
      registryWith(),
      controller.signal,
    );
    const pids = await pidsFrom(file, 2);
    expect(pids.every(isAlive)).toBe(true);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(Cancelled);
    await pollUntil(() => pids.every((pid) => !isAlive(pid)), 'the processes to be gone', {
      timeoutMs: 15_000,
    });
  });

  it('never passes provider keys, even when this process has them', async () => {
    const added = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OXYDRA_TOOLS_TEST_SETTING'];
    const saved = added.map((key) => process.env[key]);
    process.env.OPENAI_API_KEY = 'sk-test-parent-key-0000';
    process.env.ANTHROPIC_API_KEY = 'sk-ant-parent-key-0000';
    process.env.OXYDRA_TOOLS_TEST_SETTING = 'passed-through';
    try {
      const plain = await exec('env');
      expect(plain.content).not.toContain('OPENAI_API_KEY');
      expect(plain.content).not.toContain('ANTHROPIC_API_KEY');
      expect(plain.content).not.toContain('OXYDRA_TOOLS_TEST_SETTING');
      expect(plain.content).toContain('PATH=');
      const withKeys = await exec(
        'echo "$OXYDRA_TOOLS_TEST_SETTING"',
        registryWith({ env_keys: ['OXYDRA_TOOLS_TEST_SETTING'] }),
      );
      expect(withKeys.content).toBe('exit code: 0\npassed-through');
    } finally {
      added.forEach((key, i) => {
        if (saved[i] === undefined) delete process.env[key];
        else process.env[key] = saved[i];
      });
    }
  });

  it('refuses operators when allow_operators = false, without running anything', async () => {
    const registry = registryWith({ allow_operators: false });
    const outcome = await exec('touch marker && ls', registry);
    expect(outcome).toMatchObject({ isError: true });
    expect(outcome.content).toBe(
      'Tool execution failed: command refused: the command uses "&&", which [tools.shell] allow_operators = false ' +
        'forbids; run one simple command per call, without pipes, lists, redirections or substitutions',
    );
    expect(existsSync(join(ws.root, 'marker'))).toBe(false);
    expect((await exec('echo fine', registry)).content).toBe('exit code: 0\nfine');
  });

  it('refuses deny patterns and commands outside the allowlist', async () => {
    ws.write('keep.txt', 'x');
    const registry = registryWith({ allow: ['ls', 'echo *', 'rm *'], deny: ['rm *'] });
    expect((await exec('rm -f keep.txt', registry)).content).toBe(
      'Tool execution failed: command refused: "rm -f keep.txt" matches [tools.shell] deny pattern "rm *"',
    );
    expect((await exec('ls; rm -f keep.txt', registry)).content).toContain('deny pattern "rm *"');
    expect(existsSync(join(ws.root, 'keep.txt'))).toBe(true);
    expect((await exec('cat keep.txt', registry)).content).toContain(
      '"cat keep.txt" is not allowed by [tools.shell] allow',
    );
    expect((await exec('ls', registry)).content).toBe('exit code: 0\nkeep.txt');
  });

  it('keeps the start and the end of long output under the registry cap', async () => {
    const outcome = await exec('i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done');
    expect(outcome.content.startsWith('exit code: 0\nline 0\nline 1\n')).toBe(true);
    expect(outcome.content.endsWith('line 4998\nline 4999')).toBe(true);
    expect(outcome.content).toMatch(/\[\.\.\. \d+ bytes of output omitted \.\.\.\]/);
    expect(outcome.content).not.toContain('[output truncated');
  });

  it('runs through a replaceable command runner', async () => {
    const seen: { command: string; cwd: string; env: Record<string, string>; timeoutMs: number }[] = [];
    const fake: CommandRunner = async (command, options) => {
      seen.push({ command, cwd: options.cwd, env: options.env, timeoutMs: options.timeoutMs });
      return {
        exitCode: 0,
        signal: null,
        output: 'sandboxed\n',
        outputBytes: 10,
        timedOut: false,
        cancelled: false,
        pid: undefined,
      };
    };
    const outcome = await exec('uname -a', registryWith({ command_timeout_secs: 7 }, { runCommand: fake }));
    expect(outcome.content).toBe('exit code: 0\nsandboxed');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ command: 'uname -a', cwd: ws.root, timeoutMs: 7000 });
    expect(Object.keys(seen[0]?.env ?? {})).not.toContain('OPENAI_API_KEY');
  });
});
