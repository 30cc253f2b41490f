/**
 * The channels plugins provide (issue 34): `[channels.plugin.<name>]` enables one and holds its
 * host settings (senders, agent, limits, checked like a built-in platform's); a loaded plugin's
 * `channels` part opens it. Asked of the kernel only when such a section is enabled, so a
 * workspace without plugin channels never initialises a plugin for them.
 */
import type { Kernel, PluginChannelOffer } from '@oxydra/kernel';
import { type AgentConfig, type Channel, UsageError } from '@oxydra/types';
import { pluginChannelNameProblem } from '@oxydra/types/config-full';
import type { ChannelSection } from './platforms.js';

/** The names of the enabled `[channels.plugin.<name>]` sections. */
export function enabledPluginChannels(config: AgentConfig): string[] {
  return Object.entries(config.channels.plugin)
    .filter(([, section]) => section.enabled)
    .map(([name]) => name);
}

/** The section of a plugin channel (undefined: `name` is not one). */
export function pluginChannelSection(config: AgentConfig, name: string): ChannelSection | undefined {
  return Object.hasOwn(config.channels.plugin, name) ? config.channels.plugin[name] : undefined;
}

/**
 * How each enabled plugin channel is opened, checked before anything is held or connected: a
 * channel no loaded plugin provides, one two plugins provide, or a plugin's channel named like
 * a built-in platform is a UsageError naming the fix.
 */
export async function pluginChannelOpeners(
  kernel: Kernel,
  names: readonly string[],
): Promise<Map<string, () => Promise<Channel>>> {
  const openers = new Map<string, () => Promise<Channel>>();
  if (names.length === 0) return openers;
  const offers = await kernel.service('pluginChannels');
  for (const offer of offers) {
    const problem = pluginChannelNameProblem(offer.name);
    if (problem) {
      throw new UsageError(`plugin ${offer.plugin}: ${problem}`, {
        hint: `rename the channel in the plugin's channels part`,
      });
    }
  }
  for (const name of names) {
    const providers = offers.filter((offer) => offer.name === name);
    const [offer] = providers;
    if (!offer) {
      const offered = offers.map((o) => `"${o.name}" (plugin ${o.plugin})`).join(', ') || 'none';
      throw new UsageError(`[channels.plugin.${name}] is enabled, but no loaded plugin provides it`, {
        hint: `load the plugin providing "${name}" under [plugins.load.<plugin>] (channels provided: ${offered}), or set enabled = false`,
      });
    }
    if (providers.length > 1) {
      throw new UsageError(
        `channel "${name}" is provided by plugins ${providers.map((o) => o.plugin).join(' and ')}`,
        { hint: 'disable one of them in [plugins.load.<plugin>] (enabled = false)' },
      );
    }
    const section = kernel.config.channels.plugin[name]!;
    const senderIds = section.senders.flatMap((sender) => sender.platform_ids);
    openers.set(name, () => openOffer(offer, name, senderIds));
  }
  return openers;
}

async function openOffer(offer: PluginChannelOffer, name: string, senderIds: string[]): Promise<Channel> {
  let channel: Channel;
  try {
    channel = await offer.open(senderIds);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `[channels.plugin.${name}]: plugin ${offer.plugin} failed to open it: ${(error as Error).message}`,
      {
        hint: `check [plugins.load.${offer.plugin}] config, or set enabled = false in [channels.plugin.${name}]`,
      },
    );
  }
  if (channel?.name !== name) {
    throw new UsageError(
      `plugin ${offer.plugin}: channel "${name}" opened a Channel named "${String(channel?.name)}"`,
      { hint: `return a Channel whose name is context.channel ("${name}")` },
    );
  }
  return channel;
}
