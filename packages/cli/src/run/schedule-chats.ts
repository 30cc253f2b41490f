/**
 * Scheduled runs' results delivered to chats (`schedule add --notify`), in every process that
 * runs schedules (`oxydra gateway`, `oxydra scheduler run`, `oxydra schedule run-now`): the
 * channels package is loaded only when a channel is enabled, so a workspace without channels
 * pays nothing.
 */
import type { Kernel } from '@oxydra/kernel';
import type { AgentConfig } from '@oxydra/types';

/** Whether any [channels.*] section is enabled (else nothing loads the channels package). */
export function anyChannelEnabled(config: AgentConfig): boolean {
  const { plugin, ...builtin } = config.channels;
  return [...Object.values(builtin), ...Object.values(plugin)].some((section) => section.enabled);
}

/** Starts writing this process's finished runs into their chats' outbox; returns the stop. */
export async function deliverScheduleResultsToChats(
  kernel: Kernel,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  if (!anyChannelEnabled(kernel.config)) return async () => {};
  const { deliverScheduleResults } = await import('@oxydra/channels');
  return deliverScheduleResults(kernel, log);
}
