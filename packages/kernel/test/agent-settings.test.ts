import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentConfigInput, ConfigError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { describe, expect, it } from 'vitest';
import { MAX_PROMPT_FILE_BYTES, resolveAgentSettings } from '../src/assemble/agent-settings.js';
import { tempFolders } from './temp-folders.js';

describe('resolveAgentSettings', () => {
  const { folder } = tempFolders('oxydra-runtime-settings-');

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
    const dir = folder();
    writeFileSync(join(dir, 'prompt.md'), 'From a file.');
    const cfg = config({ agents: { writer: { system_prompt_file: 'prompt.md' } } });
    expect(resolveAgentSettings(cfg, 'writer', { baseDir: dir }).systemPrompt).toBe('From a file.');
    expect(() => resolveAgentSettings(cfg, 'writer', { baseDir: join(dir, 'nope') })).toThrow(
      /^agents\.writer\.system_prompt_file: cannot read .*prompt\.md: no such file$/,
    );
  });

  it('refuses a prompt file of the workspace that leads out of it, is no regular file or is huge', () => {
    const dir = folder();
    const outside = folder();
    writeFileSync(join(outside, 'secret'), 'PRIVATE KEY');
    const read = (file: string) =>
      resolveAgentSettings(config({ agents: { writer: { system_prompt_file: file } } }), 'writer', {
        baseDir: dir,
      }).systemPrompt;
    symlinkSync(join(outside, 'secret'), join(dir, 'link.md'));
    expect(() => read('link.md')).toThrow(/system_prompt_file: cannot read .*link\.md: leads out of /);
    symlinkSync(outside, join(dir, 'prompts'));
    expect(() => read('prompts/secret')).toThrow(/leads out of .*through a symbolic link/);
    symlinkSync('/dev/zero', join(dir, 'zero.md'));
    expect(() => read('zero.md')).toThrow(/leads out of/);
    execFileSync('mkfifo', [join(dir, 'fifo.md')]);
    expect(() => read('fifo.md')).toThrow(/fifo\.md: is not a regular file/);
    writeFileSync(join(dir, 'huge.md'), Buffer.alloc(MAX_PROMPT_FILE_BYTES + 1, 'a'));
    expect(() => read('huge.md')).toThrow(/huge\.md: is \d+ bytes, more than the \d+ allowed/);
    // A link that stays inside the workspace is fine.
    writeFileSync(join(dir, 'real.md'), 'Inside.');
    symlinkSync('real.md', join(dir, 'alias.md'));
    expect(read('alias.md')).toBe('Inside.');
    // Your own absolute path is yours: a link there is followed, a FIFO still refused.
    expect(read(join(dir, 'link.md'))).toBe('PRIVATE KEY');
    expect(() => read(join(dir, 'fifo.md'))).toThrow(/is not a regular file/);
  });

  it('rejects an unknown agent with a did-you-mean', () => {
    const cfg = config({ agents: { reviewer: {}, writer: {} } });
    const attempt = () => resolveAgentSettings(cfg, 'reviwer');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('unknown agent "reviwer" (did you mean "reviewer"?) (known: reviewer, writer)');
  });
});
