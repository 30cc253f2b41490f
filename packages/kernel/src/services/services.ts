/**
 * What one agent turn needs from the kernel (agent-turn.ts), kept as an interface so the turn
 * driver does not reach into the agent table's internals.
 */
import type { AgentRunOptions, Clock } from '@oxydra/runtime';
import type { StreamEvent, Usage } from '@oxydra/types';
import type { KernelBase } from '../assemble/base.js';
import type { AgentLimits, LifecycleEvent } from '../types.js';
import type { AgentRecord } from './agent-record.js';
import type { SpendingCaps, UsageMeter } from './budget-accounts.js';
import type { EventBus } from './event-bus.js';

export interface KernelServices {
  base: KernelBase;
  bus: EventBus;
  clock: Clock | undefined;
  publish(record: AgentRecord, event: StreamEvent | LifecycleEvent): void;
  /** The turn and dollar limits of the agent's runs: the spawn's over the agent's configured ones. */
  limitsOf(record: AgentRecord): AgentLimits;
  /** The persistent caps of the agent's model calls: its user's and its agent name's. */
  spendingCaps(record: AgentRecord): SpendingCaps;
  /** Where the agent's calls are entered in the usage log (undefined: no log, a replay). */
  usageMeter(record: AgentRecord): UsageMeter | undefined;
  /**
   * How this agent's approval questions are answered: through events when somebody answers
   * them (its own spawn says so, else its parent's); otherwise no approver (the registry then
   * denies, saying how to allow it), or, for hosts without a terminal, an approver that denies
   * with that host's way out.
   */
  approver(record: AgentRecord): AgentRunOptions['approve'];
  killChildren(record: AgentRecord, reason: string): Promise<void>;
  exit(record: AgentRecord, status: 'completed' | 'failed' | 'killed', reason?: string): void;
  addUsage(a: Usage, b: Usage): Usage;
}
