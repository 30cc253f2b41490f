import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentConfigInput, agentConfigSchema, ConfigError, type ToolSpec } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSystemPrompt, resolveAgentSettings } from '../src/index.js';

const spec = (name: string): ToolSpec => ({ name, description: name, parameters: {}, safety: 'read_only' });

describe('defaultSystemPrompt', () => {
  const tools = ['file_read', 'file_list', 'file_edit', 'shell_exec'].map(spec);

  it('names the workspace, the tools, the rules and the date', () => {
    const prompt = defaultSystemPrompt({ workspace: '/home/me/project', tools, date: '2025-06-01' });
    expect(prompt).toContain(
      "autonomous AI agent working on the user's files in the workspace at /home/me/project",
    );
    expect(prompt).toContain('Tools available: file_read, file_list, file_edit, shell_exec.');
    expect(prompt).toContain('check facts before you state them');
    expect(prompt).toContain(
      'Read a file before you edit it, and prefer small, targeted edits with file_edit',
    );
    expect(prompt).toContain('run commands (tests, builds, linters) to verify');
    expect(prompt).toContain('Paths are relative to the workspace root.');
    expect(prompt).toContain('stop calling tools and give your answer');
    expect(prompt).toContain('Be concise');
    expect(prompt).toContain("Today's date: 2025-06-01.");
    expect(prompt.split(/\s+/).length).toBeLessThan(200);
  });

  it("appends the agent's own prompt last", () => {
    const prompt = defaultSystemPrompt({
      workspace: '/w',
      tools,
      agentPrompt: 'You review Rust code.\n',
      date: 'd',
    });
    expect(prompt.endsWith('\n\nYou review Rust code.')).toBe(true);
  });

  it('leaves out advice about tools the agent does not have', () => {
    const prompt = defaultSystemPrompt({ workspace: '/w', tools: [spec('file_read')], date: 'd' });
    expect(prompt).not.toContain('file_edit');
    expect(prompt).not.toContain('run commands');
    const none = defaultSystemPrompt({ workspace: '/w', tools: [], date: 'd' });
    expect(none).not.toContain('Tools available');
    expect(none).toContain('You have no tools in this run');
  });

  it("uses today's date by default", () => {
    expect(defaultSystemPrompt({ workspace: '/w', tools: [] })).toContain(
      new Date().toISOString().slice(0, 10),
    );
  });
});

describe('resolveAgentSettings', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const config = (extra: Partial<AgentConfigInput> = {}) =>
    agentConfigSchema.parse({
      providers: {
        registry: { openai: { provider_type: 'openai' }, anthropic: { provider_type: 'anthropic' } },
      },
      runtime: { max_turns: 12, turn_timeout_secs: 30, max_cost: 2 },
      ...extra,
    });

  it('takes [runtime] and [selection] when no agent is named', () => {
    expect(resolveAgentSettings(config())).toEqual({
      maxTurns: 12,
      maxCostUsd: 2,
      turnTimeoutMs: 30_000,
      selection: { provider: 'openai', model: 'gpt-4o-mini' },
    });
  });

  it('lets an agent override turns, cost, tools, selection and the prompt', () => {
    const settings = resolveAgentSettings(
      config({
        agents: {
          reviewer: {
            system_prompt: 'Review carefully.',
            tools: ['file_read'],
            max_turns: 4,
            max_cost: 0.5,
            selection: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
          },
        },
      }),
      'reviewer',
    );
    expect(settings).toEqual({
      systemPrompt: 'Review carefully.',
      tools: ['file_read'],
      maxTurns: 4,
      maxCostUsd: 0.5,
      turnTimeoutMs: 30_000,
      selection: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    });
  });

  it('reads system_prompt_file relative to the base directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-runtime-settings-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'prompt.md'), 'From a file.');
    const cfg = config({ agents: { writer: { system_prompt_file: 'prompt.md' } } });
    expect(resolveAgentSettings(cfg, 'writer', { baseDir: dir }).systemPrompt).toBe('From a file.');
    expect(() => resolveAgentSettings(cfg, 'writer', { baseDir: join(dir, 'nope') })).toThrow(
      /^agents\.writer\.system_prompt_file: cannot read .*prompt\.md: no such file$/,
    );
  });

  it('rejects an unknown agent with a did-you-mean', () => {
    const cfg = config({ agents: { reviewer: {}, writer: {} } });
    const attempt = () => resolveAgentSettings(cfg, 'reviwer');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('unknown agent "reviwer" (did you mean "reviewer"?) (known: reviewer, writer)');
  });
});
