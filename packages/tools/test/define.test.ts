import { ToolError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, isDefinedTool, ToolRegistry } from '../src/index.js';
import { callTool, context } from './helpers.js';

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

  it('builds a schema given as a function at its first use, once, and checks with it as with a schema', async () => {
    let builds = 0;
    const lazy = defineTool({
      name: 'lazy',
      description: 'Echoes a word.',
      parameters: () => {
        builds++;
        return z.object({ word: z.string().min(1) });
      },
      safety: 'read_only',
      execute: async ({ word }) => word,
    });
    // Made, not used: nothing built (a gateway start makes ~20 tools and calls none).
    expect(builds).toBe(0);
    expect(lazy.validate({ word: '' }).ok).toBe(false);
    expect(lazy.validate({ word: 'hi' })).toEqual({ ok: true, args: { word: 'hi' } });
    expect(lazy.parameters).toEqual({
      type: 'object',
      properties: { word: { type: 'string', minLength: 1 } },
      required: ['word'],
    });
    await expect(lazy.execute({ word: 7 }, context('/'))).rejects.toBeInstanceOf(ToolError);
    await expect(lazy.execute({ word: 'ok' }, context('/'))).resolves.toBe('ok');
    expect(builds).toBe(1);
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

  describe('with its code loaded at the first call (load)', () => {
    const echoParameters = z.object({ text: z.string() });

    it('loads the implementation once, at the first call, and keeps it', async () => {
      let loads = 0;
      const echo = defineTool({
        name: 'echo',
        description: 'Echoes.',
        parameters: echoParameters,
        safety: 'read_only',
        load: async () => {
          loads += 1;
          return async ({ text }) => `echo ${text}`;
        },
      });
      expect(echo.parameters).toMatchObject({ properties: { text: { type: 'string' } } });
      expect(loads).toBe(0);
      const registry = new ToolRegistry([echo]);
      expect((await callTool(registry, '/', 'echo', { text: 'a' })).content).toBe('echo a');
      expect((await callTool(registry, '/', 'echo', { text: 'b' })).content).toBe('echo b');
      expect(loads).toBe(1);
    });

    it('answers a module that fails to import with a tool error naming the tool, and tries again', async () => {
      let loads = 0;
      const broken = defineTool({
        name: 'broken',
        description: 'Its module is missing.',
        parameters: echoParameters,
        safety: 'read_only',
        load: async () => {
          loads += 1;
          // A real failed import: the module does not exist (a broken install).
          const path = './no-such-module.js';
          return (await import(/* @vite-ignore */ path)).run;
        },
      });
      const registry = new ToolRegistry([broken]);
      const first = await callTool(registry, '/', 'broken', { text: 'a' });
      expect(first.isError).toBe(true);
      expect(first.content).toMatch(
        /^Tool execution failed: broken could not load its code \(.*no-such-module.*\); reinstall Oxydra$/,
      );
      await expect(broken.execute({ text: 'a' }, context('/'))).rejects.toBeInstanceOf(ToolError);
      expect(loads).toBe(2);
    });
  });
});
