/**
 * The chat channels `oxydra gateway` answers beside its server ([gateway] channels, default on):
 * the same hosts `oxydra channels run` runs (@oxydra/channels' runChannels), over the gateway's
 * own kernel. The channels package, and each platform's library, is imported only when a
 * channel is enabled, so a gateway without channels loads none of them.
 */
import type { RunningChannels } from '@oxydra/channels';
import type { Kernel } from '@oxydra/kernel';
import type { AgentConfig } from '@oxydra/types';

/** What the gateway records as the process answering a channel, and a second process is told. */
const GATEWAY_ROLE = 'oxydra gateway';

export function anyChannelEnabled(config: AgentConfig): boolean {
  return Object.values(config.channels).some((section) => section.enabled);
}

/**
 * Starts the enabled channels over `kernel`, or resolves undefined when [gateway] channels is
 * false or none is enabled. A channel another process answers, or whose platform refuses at
 * start, is left out with a line in the log; a configuration mistake (a secret's variable
 * unset) stops the gateway like any other.
 */
export async function startGatewayChannels(
  kernel: Kernel,
  log: (line: string) => void,
): Promise<RunningChannels | undefined> {
  if (!kernel.config.gateway.channels || !anyChannelEnabled(kernel.config)) return undefined;
  const { runChannels } = await import('@oxydra/channels');
  return runChannels({ kernel, log, role: GATEWAY_ROLE, partial: true });
}
