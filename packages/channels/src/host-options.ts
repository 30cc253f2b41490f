/**
 * What a channel host is given (the kernel's parts it calls, the channel, its store and sender
 * policy, its limits) and what it reports: the host's contract, apart from its work (host.ts).
 */
import type { Kernel } from '@oxydra/kernel';
import type { OwnerGrant } from '@oxydra/kernel/admin';
import type { Clock } from '@oxydra/runtime';
import type { Channel, ChannelStore, SessionStore } from '@oxydra/types';
import type { ChannelSection } from './platforms.js';
import type { SenderPolicy } from './senders.js';
import type { TurnKernel } from './turn.js';
import type { UserSlots } from './turn-slots.js';

/**
 * What the host needs of the kernel: spawning turns, the sessions to create per conversation,
 * and answering approval questions (without it, a chat turn's privileged call is denied).
 */
type HostKernel = TurnKernel & {
  /** create: a conversation's session; stamp and loadMessages: how far a cut turn got (recover.ts). */
  sessions: Pick<SessionStore, 'create' | 'stamp' | 'loadMessages'> | undefined;
  approvals?: Pick<Kernel['approvals'], 'respond'>;
  /** The kernel's held services, for /cost (costs, budgets) and /undo (checkpoints). */
  service?: Kernel['service'];
};

/**
 * The host's view of a kernel. The channels serve every listed sender's sessions (each turn
 * runs as its sender's user), so they hold the whole store, which the kernel's session access
 * hands only against its owner grant (given by whoever opened the kernel); undefined when
 * memory is off.
 */
export async function hostKernelOf(kernel: Kernel, owner: OwnerGrant): Promise<HostKernel> {
  return {
    agents: kernel.agents,
    approvals: kernel.approvals,
    service: kernel.service,
    sessions: await (await kernel.service('sessionAccess')).ownerStore(owner),
  };
}

export interface ChannelHostOptions {
  kernel: HostKernel;
  /** The kernel's per-user limit (its `admission` service): a chat turn takes its sender's slot. */
  userSlots: UserSlots;
  channel: Channel;
  store: ChannelStore;
  senders: SenderPolicy;
  /** The `[agents.<name>]` answering; unset: the default agent. */
  agent?: string;
  log: (line: string) => void;
  timer?: Clock;
  /** How often the channel's health is written to the store; default HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Where files people send are saved, and answers' files are read from; unset: files are refused. */
  workspace?: string;
  /** `max_concurrent_turns`: the channel's turns running at once, across chats (default 16). */
  maxConcurrentTurns?: number;
  /** `max_file_bytes`: the largest file taken or sent (default 20 MB). */
  maxFileBytes?: number;
  /** `download_timeout_secs`, in ms: one file's download bound (default take-files.ts's 5 minutes). */
  downloadTimeoutMs?: number;
  /** `[tools] vault_path`: an answer cannot send a file from the vault, as the file tools cannot read one. */
  vaultPath?: string;
  /** The kernel's secret values (`knownSecrets`): an answer cannot send a file holding one. */
  secrets?: readonly string[];
}

/** The host's limits a channel's section sets (`[channels.<name>]`), each left to its default when unset. */
export function sectionLimits(
  section: ChannelSection,
): Pick<ChannelHostOptions, 'maxFileBytes' | 'maxConcurrentTurns' | 'downloadTimeoutMs'> {
  return {
    ...(section.max_file_bytes !== undefined ? { maxFileBytes: section.max_file_bytes } : {}),
    ...(section.max_concurrent_turns !== undefined
      ? { maxConcurrentTurns: section.max_concurrent_turns }
      : {}),
    ...(section.download_timeout_secs !== undefined
      ? { downloadTimeoutMs: section.download_timeout_secs * 1000 }
      : {}),
  };
}

export interface ChannelStatus {
  channel: string;
  botName?: string;
  /** Messages accepted from allowed senders since start. */
  accepted: number;
  answered: number;
  /** The last receive or send error, until the next success. */
  lastError?: string;
}
