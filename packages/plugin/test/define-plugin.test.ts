import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, isPlugin, pluginTool } from '../src/index.js';

describe('definePlugin', () => {
  it('marks a definition as a plugin, frozen, and keeps its parts', () => {
    const tool = pluginTool({
      name: 'echo',
      description: 'echoes',
      parameters: z.object({ text: z.string() }),
      execute: async ({ text }) => text,
    });
    const plugin = definePlugin({ name: 'echo-plugin', version: '1.0.0', tools: [tool] });
    expect(isPlugin(plugin)).toBe(true);
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(plugin.tools).toEqual([tool]);
    expect(isPlugin({ name: 'echo-plugin', version: '1.0.0' })).toBe(false);
    expect(isPlugin(null)).toBe(false);
  });

  it('refuses a bad name or a missing version, saying which', () => {
    expect(() => definePlugin({ name: 'has space', version: '1.0.0' })).toThrow(
      'plugin name "has space": use 1-64 letters, digits, ".", "_" or "-"',
    );
    expect(() => definePlugin({ name: 'ok', version: '' })).toThrow('plugin ok: version is required');
  });

  it('refuses a channel named like a built-in platform, naming both, and keeps a good one', () => {
    const open = () => {
      throw new Error('not opened in this test');
    };
    expect(() =>
      definePlugin({ name: 'chat', version: '1.0.0', channels: [{ name: 'telegram', open }] }),
    ).toThrow('plugin chat: plugin channel "telegram" clashes with the built-in channel [channels.telegram]');
    expect(() => definePlugin({ name: 'chat', version: '1.0.0', channels: [{ name: 'a.b', open }] })).toThrow(
      'plugin chat: plugin channel "a.b": use 1-64 letters, digits or "-"',
    );
    const plugin = definePlugin({ name: 'chat', version: '1.0.0', channels: [{ name: 'matrix', open }] });
    expect(plugin.channels).toEqual([{ name: 'matrix', open }]);
  });
});
