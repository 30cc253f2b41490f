import { ToolError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, isDefinedTool } from '../src/index.js';
import { context } from './helpers.js';

const greet = defineTool({
  name: 'greet',
  description: 'Greets someone.',
  parameters: z.object({
    name: z.string().describe('who'),
    times: z.number().int().min(1).default(1),
  }),
  safety: 'read_only',
  timeoutMs: 1234,
  execute: async ({ name, times }) => `hello ${name}`.repeat(times),
});

describe('defineTool', () => {
  it('derives the JSON Schema of the arguments the model sends, without $schema or the safe-integer bounds', () => {
    expect(greet.parameters).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: 'who' },
        // zod's own ±(2^53-1) bounds of .int() are left out (still enforced, see below); 1 stays.
        times: { type: 'integer', minimum: 1, default: 1 },
      },
      required: ['name'],
    });
    expect(greet.name).toBe('greet');
    expect(greet.safety).toBe('read_only');
    expect(greet.timeoutMs).toBe(1234);
    expect(isDefinedTool(greet)).toBe(true);
  });

  it('validates with zod and applies defaults', async () => {
    expect(greet.validate({ name: 'Ada' })).toEqual({ ok: true, args: { name: 'Ada', times: 1 } });
    expect(greet.validate({ name: 7, times: 0 })).toEqual({
      ok: false,
      message:
        'Invalid arguments for greet: name: expected string, received number; times: Too small: expected number to be >=1',
    });
    await expect(greet.execute({ name: 'Ada', times: 2 }, context('/'))).resolves.toBe('hello Adahello Ada');
    // The schema the model sees leaves the safe-integer bound out; validation keeps it.
    expect(greet.validate({ name: 'Ada', times: 2 ** 60 }).ok).toBe(false);
  });

  it('refuses invalid arguments when executed directly, outside a registry', async () => {
    const call = greet.execute({ times: 1 }, context('/'));
    await expect(call).rejects.toBeInstanceOf(ToolError);
    await expect(call).rejects.toThrow(
      'Invalid arguments for greet: name: expected string, received undefined',
    );
  });

  it('runs transforms once: the registry path hands run() the parsed arguments', async () => {
    const length = defineTool({
      name: 'length',
      description: 'Length of a word.',
      parameters: z.object({ word: z.string().transform((word) => word.length) }),
      safety: 'read_only',
      execute: async ({ word }) => `length ${word}`,
    });
    const checked = length.validate({ word: 'abcd' });
    expect(checked).toEqual({ ok: true, args: { word: 4 } });
    if (!checked.ok) throw new Error('unreachable');
    await expect(length.run(checked.args, context('/'))).resolves.toBe('length 4');
  });

  it('summarizes a call for approval prompts', () => {
    expect(greet.summarize({ name: 'Ada', times: 1 })).toBe('greet {"name":"Ada","times":1}');
    const custom = defineTool({
      name: 'run',
      description: 'Runs.',
      parameters: z.strictObject({ command: z.string() }),
      safety: 'privileged',
      summarize: ({ command }) => command,
      execute: async () => '',
    });
    expect(custom.summarize({ command: 'ls -la' })).toBe('ls -la');
    expect(custom.parameters).toMatchObject({ additionalProperties: false });
  });
});
