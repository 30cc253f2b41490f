/**
 * What the kernel keeps about one agent: where it sits in the tree, its assembly, its current
 * run and budget account, its conversation (for keepAlive agents) and how to stop it. Records
 * are plain data; agent-turn.ts drives them and agent-table.ts owns them.
 */
import type { AgentRun } from '@oxydra/runtime';
import type { Message } from '@oxydra/types';
import type { AgentAssembly } from '../assemble/agent.js';
import type { OpenedSession } from '../assemble/session.js';
import type { AgentInfo, AgentResult, SpawnSpec } from '../types.js';
import type { BudgetAccount } from './budget-accounts.js';

export interface AgentRecord {
  info: AgentInfo;
  parent: AgentRecord | undefined;
  /**
   * Its id and its ancestors', nearest first: fixed at spawn, and walked by the event bus for
   * every event it publishes (a generator walking the parents allocated at each one).
   */
  lineage: readonly string[];
  children: Set<AgentRecord>;
  /** 0 for an agent a host spawned, parent's + 1 for a delegated one. */
  depth: number;
  spec: SpawnSpec;
  assembly: AgentAssembly;
  /** Why the agent was killed, once it was: its runs are cancelled and it takes no more turns. */
  killed?: string;
  /**
   * Aborted when the agent is killed, made only for those who wait on it (an approval question):
   * AbortControllers are costly enough to matter at thousands of agents a second.
   */
  abort?: AbortController;
  /** The run of the current turn, while one runs. */
  run?: AgentRun;
  /** The current (or last) turn's account: what it and its sub-agents spent against its limits. */
  account?: BudgetAccount;
  /** A root agent's current turn's checkpoints (its sub-agents' changes are part of its run). */
  checkpoints?: TurnCheckpoints;
  /** The conversation so far, for the next turn of a keepAlive agent. */
  history: Message[];
  session?: OpenedSession;
  /** The current turn's result (also the last one's, once it ended). */
  turn?: Promise<AgentResult>;
  /** Removes the listener on the spawner's abort signal (once the agent has exited). */
  detach?: (() => void) | undefined;
  /** Settles when the agent has exited. */
  exited: Promise<void>;
  markExited: () => void;
}

export const isLive = (record: AgentRecord): boolean =>
  record.info.status === 'starting' || record.info.status === 'running' || record.info.status === 'idle';

/** A signal aborted when the agent is killed (made on first use). */
export function killSignal(record: AgentRecord): AbortSignal {
  record.abort ??= new AbortController();
  if (record.killed !== undefined && !record.abort.signal.aborted)
    record.abort.abort(new Error(record.killed));
  return record.abort.signal;
}

/** A turn's checkpoints (history/run-checkpoints.ts), made at its first change (agent-turn.ts). */
export interface TurnCheckpoints {
  /** Before a call that can change the workspace: the run's "before" checkpoint, once. */
  ensureBefore(): Promise<unknown>;
  /** When the turn ends: its "after" checkpoint, if it took a "before". */
  finish(): Promise<void>;
}
