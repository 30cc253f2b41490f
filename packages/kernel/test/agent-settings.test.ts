import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentConfigInput, ConfigError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAgentSettings } from '../src/exports/workspace.js';

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
      maxCostSource: 'runtime.max_cost',
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
      maxCostSource: 'agents.reviewer.max_cost',
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
