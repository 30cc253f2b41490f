/**
 * How `oxydra channels run` finds the plugin channels it opens (plugin-channels.ts), against a
 * kernel stand-in holding the `pluginChannels` service: none is asked for when no plugin channel
 * is enabled; an enabled one is opened with its listed senders' ids; one named like a built-in
 * platform (a plugin's part made at init, past definePlugin's check), one no plugin provides,
 * one two provide and a Channel carrying another name are UsageErrors naming the fix.
 */
import type { Kernel, PluginChannelOffer } from '@oxydra/kernel';
import { type Channel, UsageError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { expect, it } from 'vitest';
import { enabledPluginChannels, pluginChannelOpeners } from '../src/plugin-channels.js';

const config = agentConfigSchema.parse({
  selection: { provider: 'openai', model: 'gpt-4o-mini' },
  providers: { registry: { openai: { provider_type: 'openai' } } },
  channels: {
    plugin: {
      matrix: {
        enabled: true,
        senders: [{ platform_ids: ['@ada:x', '@ada2:x'] }, { platform_ids: ['@bob:x'] }],
      },
      signal: { enabled: false },
    },
  },
});

function kernelWith(offers: PluginChannelOffer[]) {
  const asked: string[] = [];
  const kernel = {
    config,
    service: async (name: string) => {
      asked.push(name);
      return offers;
    },
  } as unknown as Kernel;
  return { kernel, asked };
}

const offer = (plugin: string, name: string, channelName = name) => {
  const opened: string[][] = [];
  return {
    opened,
    offer: {
      plugin,
      name,
      open: async (senderIds: string[]) => {
        opened.push(senderIds);
        return { name: channelName } as Channel;
      },
    },
  };
};

it('asks for no plugin channel when none is enabled, and opens an enabled one with its senders', async () => {
  expect(enabledPluginChannels(config)).toEqual(['matrix']);
  const matrix = offer('matrix-plugin', 'matrix');
  const { kernel, asked } = kernelWith([matrix.offer]);
  expect((await pluginChannelOpeners(kernel, [])).size).toBe(0);
  expect(asked).toEqual([]);
  const openers = await pluginChannelOpeners(kernel, ['matrix']);
  expect(asked).toEqual(['pluginChannels']);
  expect(matrix.opened).toEqual([]);
  expect((await openers.get('matrix')!()).name).toBe('matrix');
  expect(matrix.opened).toEqual([['@ada:x', '@ada2:x', '@bob:x']]);
});

it('refuses a clash, a missing or doubled provider and a wrongly named Channel, saying which', async () => {
  const refusal = async (offers: PluginChannelOffer[], open = false) => {
    try {
      const openers = await pluginChannelOpeners(kernelWith(offers).kernel, ['matrix']);
      if (open) await openers.get('matrix')!();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    return 'no error';
  };
  const matrix = offer('matrix-plugin', 'matrix').offer;
  expect(await refusal([matrix, offer('sneaky', 'telegram').offer])).toBe(
    `plugin sneaky: plugin channel "telegram" clashes with the built-in channel [channels.telegram]; give the plugin's channel another name`,
  );
  expect(await refusal([offer('other', 'irc').offer])).toBe(
    '[channels.plugin.matrix] is enabled, but no loaded plugin provides it',
  );
  expect(await refusal([matrix, offer('copy', 'matrix').offer])).toBe(
    'channel "matrix" is provided by plugins matrix-plugin and copy',
  );
  expect(await refusal([offer('matrix-plugin', 'matrix', 'element').offer], true)).toBe(
    'plugin matrix-plugin: channel "matrix" opened a Channel named "element"',
  );
});
