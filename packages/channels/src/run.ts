/**
 * The enabled channels of a kernel's configuration, each a ChannelHost answering through that
 * kernel: what `oxydra channels run` runs alone and `oxydra gateway` runs beside its server
 * (`[gateway] channels`). Each channel is taken in the channel database first (hold.ts), so two
 * processes never answer one channel.
 */
import type { Kernel } from '@oxydra/kernel';
import type { OwnerGrant } from '@oxydra/kernel/admin';
import { knownSecrets } from '@oxydra/kernel/workspace';
import { type Channel, UsageError } from '@oxydra/types';
import { withDirectChats } from './direct.js';
import { ChannelHeldElsewhere, type HeldChannel, holdChannel, holderText } from './hold.js';
import { ChannelHost } from './host.js';
import { type ChannelStatus, hostKernelOf, sectionLimits } from './host-options.js';
import { CHANNEL_NAMES, CHANNEL_PLATFORMS, type ChannelPlatform, type ChannelSection } from './platforms.js';
import { enabledPluginChannels, pluginChannelOpeners } from './plugin-channels.js';
import { SenderPolicy } from './senders.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

export interface RunChannelsOptions {
  kernel: Kernel;
  /** The kernel's owner grant (its opener's, `openKernel(…, { ownerGrant: true })`): the channels serve every sender's sessions. */
  owner: OwnerGrant;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** What this process is ("oxydra channels run"): recorded with each channel, named to a second process refused. */
  role: string;
  /**
   * The gateway's way: a channel another process answers, or whose platform refuses at start, is
   * left out with a line in the log and the others start. Without it either is an error and
   * nothing runs. A configuration mistake is an error either way.
   */
  partial?: boolean;
}

/** An enabled channel and whether this process answers it. */
export interface ChannelServing {
  channel: string;
  state: 'answering' | 'answered elsewhere' | 'not started';
  /** The bot it answers as (answering), or why not (the others). */
  detail: string;
}

export interface RunningChannels {
  /** One line per channel: its name and the bot it answers as. */
  readonly started: { channel: string; botName: string; senders: number }[];
  /** The enabled channels and whether each is answered here (with `partial`, some may not be). */
  readonly serving: ChannelServing[];
  status(): ChannelStatus[];
  /** Stops receiving; running answers get `graceMs` (default 10 s) to finish. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts every enabled channel of the kernel's configuration, each answering through `kernel`.
 * Bad configuration (no channel enabled, a secret's variable unset) is a UsageError naming the
 * fix; so is a channel another process answers (ChannelHeldElsewhere), unless `partial`.
 */
export async function runChannels(options: RunChannelsOptions): Promise<RunningChannels> {
  const { kernel, log, role, partial = false } = options;
  const env = options.env ?? process.env;
  const builtin = CHANNEL_NAMES.filter((name) => kernel.config.channels[name].enabled);
  const fromPlugins = enabledPluginChannels(kernel.config);
  const enabled: string[] = [...builtin, ...fromPlugins];
  if (enabled.length === 0) {
    throw new UsageError('no channel is enabled', {
      hint: `set enabled = true in one of ${CHANNEL_NAMES.map((n) => `[channels.${n}]`).join(', ')} or a plugin's [channels.plugin.<name>] (see docs/channels.md)`,
    });
  }
  const sectionOf = (name: string): ChannelSection =>
    (builtin as string[]).includes(name)
      ? (kernel.config.channels[name as (typeof CHANNEL_NAMES)[number]] as ChannelSection)
      : kernel.config.channels.plugin[name]!;
  const where = (name: string) =>
    (builtin as string[]).includes(name) ? `[channels.${name}]` : `[channels.plugin.${name}]`;
  for (const name of enabled) {
    const { agent } = sectionOf(name);
    if (agent !== undefined && !(agent in kernel.config.agents)) {
      throw new UsageError(`${where(name)} agent = "${agent}" is not in [agents]`, {
        hint: `define [agents.${agent}], or remove the agent key to answer with the default agent`,
      });
    }
  }
  // Plugin channels are looked up (their plugins initialised) only when one is enabled.
  const pluginOpeners = await pluginChannelOpeners(kernel, fromPlugins);
  const store = openChannelStore(channelDbPath(kernel.workspace));
  const serving: ChannelServing[] = [];
  const held: HeldChannel[] = [];
  const hosts: ChannelHost[] = [];
  const started: RunningChannels['started'] = [];
  /** Undoes what was done so far: hosts closed, channels not started let go, the store closed. */
  const undo = async () => {
    await Promise.allSettled(hosts.map((host) => host.close()));
    const running = new Set(started.map((s) => s.channel));
    await Promise.allSettled(held.filter((h) => !running.has(h.channel)).map((h) => h.release()));
    await store.close();
  };
  try {
    for (const name of enabled) {
      try {
        held.push(await holdChannel(store, name, role));
      } catch (error) {
        if (!(partial && error instanceof ChannelHeldElsewhere)) throw error;
        log(`${name}: not answered here: ${error.message} (${error.hint})`);
        serving.push({ channel: name, state: 'answered elsewhere', detail: holderText(error.holder) });
      }
    }
    // Every held channel's configuration is checked (its secrets read) before any connects.
    const opened: { name: string; channel: Channel; section: ChannelSection }[] = [];
    const taken = new Set(held.map((h) => h.channel));
    for (const name of enabled.filter((n) => taken.has(n))) {
      const section = sectionOf(name);
      const openPlugin = pluginOpeners.get(name);
      const channel = openPlugin
        ? await openPlugin()
        : await (
            CHANNEL_PLATFORMS[name as (typeof CHANNEL_NAMES)[number]] as ChannelPlatform<ChannelSection>
          ).open(name, section, env);
      // A listed sender's own id as a chat (a scheduled result's) is their direct-message chat.
      const people = section.senders.flatMap((sender) => sender.platform_ids);
      opened.push({ name, section, channel: withDirectChats(channel, people) });
    }
    const hostKernel = await hostKernelOf(kernel, options.owner);
    if (!hostKernel.sessions && opened.length > 0)
      log('channels: memory is off: every message is answered without the earlier ones');
    const userSlots = await kernel.service('admission');
    for (const { name, channel, section } of opened) {
      const unknown = section.unknown_senders ?? 'ignore';
      const senders = new SenderPolicy(name, section.senders, log, unknown);
      if (senders.size === 0 && unknown === 'ignore')
        log(`${name}: no [[${where(name).slice(1, -1)}.senders]] listed: every message is ignored`);
      const host = new ChannelHost({
        kernel: hostKernel,
        userSlots,
        channel,
        store,
        senders,
        ...(section.agent !== undefined ? { agent: section.agent } : {}),
        log,
        workspace: kernel.workspace,
        ...(kernel.config.tools.vault_path !== undefined
          ? { vaultPath: kernel.config.tools.vault_path }
          : {}),
        secrets: knownSecrets(kernel.config, process.env, []),
        ...sectionLimits(section),
      });
      let botName: string;
      try {
        ({ botName } = await host.start());
      } catch (error) {
        if (!partial) {
          hosts.push(host);
          throw error;
        }
        const why = (error as Error).message;
        log(`${name}: not started: ${why} (the other channels run; restart to try again)`);
        serving.push({ channel: name, state: 'not started', detail: why });
        await Promise.allSettled([host.close(0)]);
        await held.find((h) => h.channel === name)?.release();
        continue;
      }
      hosts.push(host);
      started.push({ channel: name, botName, senders: senders.size });
      serving.push({ channel: name, state: 'answering', detail: botName });
    }
  } catch (error) {
    await undo();
    throw error;
  }
  const order = enabled;
  serving.sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel));
  return {
    started,
    serving,
    status: () => hosts.map((host) => host.status),
    close: async (graceMs) => {
      try {
        await Promise.allSettled(hosts.map((host) => host.close(graceMs)));
      } finally {
        await store.close();
      }
    },
  };
}
