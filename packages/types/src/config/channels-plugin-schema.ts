/**
 * `[channels.plugin.<name>]`: the host settings of a channel a plugin provides (its `channels`
 * part). They are the same keys, checked by the same parts, as a built-in platform's: whether it
 * is answered, who may talk to it (default-deny), what a stranger gets, the agent and the limits.
 * They live under [channels], not in the plugin's own config, because who is answered is the
 * operator's decision and Oxydra's check, never the plugin's schema's. The plugin's own settings
 * (its server, the variable holding its token) stay in `[plugins.load.<plugin>] config`.
 */
import { z } from 'zod';
import { BUILTIN_CHANNEL_NAMES } from '../channels.js';
import { once } from '../once.js';
import { channelHostKeys, channelSenderSchema, checkSenderIds } from './channels-schema-parts.js';

/** The built-in platforms' names, which a plugin's channel may not take (their home: ../channels.ts). */
export { BUILTIN_CHANNEL_NAMES };

/** A plugin channel's name: letters, digits and "-" (it keys the channel's cursor and sessions). */
export const PLUGIN_CHANNEL_NAME = /^[A-Za-z0-9-]{1,64}$/;

const pluginSenderSchema = once(() =>
  channelSenderSchema(
    'the platform',
    z.string().min(1).max(256).describe("the platform's stable id of the person, as the plugin reports it"),
  ),
);

export const pluginChannelSchema = once(() =>
  z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe('`oxydra channels run` answers this channel (a loaded plugin must provide it)'),
      senders: z
        .array(pluginSenderSchema())
        .default([])
        .describe('who may talk to the channel; anyone else gets no answer (logged once per sender)'),
      // What the host does with the channel's messages, the same keys on every platform.
      ...channelHostKeys(),
    })
    .superRefine((section, ctx) => checkSenderIds(section.senders, ctx)),
);

/** `[channels.plugin]`: one entry per plugin channel, by the name its plugin gives it. */
export const pluginChannelsSchema = once(() =>
  z
    .record(z.string(), pluginChannelSchema())
    .default({})
    .superRefine((entries, ctx) => {
      for (const name of Object.keys(entries)) {
        const problem = pluginChannelNameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      }
    })
    .describe("channels plugins provide, by channel name; the plugin's own settings stay in its config"),
);

/** Why `name` cannot be a plugin channel's name, or undefined when it can. */
export function pluginChannelNameProblem(name: string): string | undefined {
  if ((BUILTIN_CHANNEL_NAMES as readonly string[]).includes(name)) {
    return `plugin channel "${name}" clashes with the built-in channel [channels.${name}]; give the plugin's channel another name`;
  }
  if (!PLUGIN_CHANNEL_NAME.test(name)) {
    return `plugin channel "${name}": use 1-64 letters, digits or "-"`;
  }
  return undefined;
}

export type PluginChannelConfig = z.output<ReturnType<typeof pluginChannelSchema>>;
