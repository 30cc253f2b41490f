/**
 * A spec run as stored with its session (session state key "spec"): the directive and every
 * attempt's per-criterion results, written after crystallizing and after each evaluation so
 * `oxydra sessions show` and the dashboard see a run in progress, not only its end.
 */
import type { SessionStore } from '@oxydra/memory';
import type { Directive } from './directive.js';
import type { CriterionResult } from './mechanical.js';

export const SPEC_STATE_KEY = 'spec';

export interface AttemptRecord {
  attempt: number;
  agentId: string;
  /** How the attempt's agent run ended. */
  status: 'completed' | 'failed' | 'killed';
  /** The checkpoint taken just before the attempt: `oxydra checkpoints restore <id>` undoes it. */
  checkpointBefore?: string;
  results: CriterionResult[];
  passed: boolean;
}

export interface SpecRecord {
  version: 1;
  directive: Directive;
  attempts: AttemptRecord[];
  maxAttempts: number;
  /** running while attempts go on; then passed or failed. */
  state: 'running' | 'passed' | 'failed';
}

export async function storeSpecRecord(sessions: SessionStore | undefined, sessionId: string | undefined, record: SpecRecord) {
  if (!sessions || sessionId === undefined) return;
  // One writer per spec run; read the epoch, write, and on a lost race write once more.
  for (let tries = 0; tries < 2; tries++) {
    const epoch = (await sessions.getState(sessionId, SPEC_STATE_KEY))?.epoch ?? null;
    if (await sessions.setState(sessionId, SPEC_STATE_KEY, JSON.stringify(record), epoch)) return;
  }
}

/** The stored spec run of a session, if it had one (a malformed value reads as none). */
export async function loadSpecRecord(sessions: SessionStore, sessionId: string): Promise<SpecRecord | undefined> {
  const raw = (await sessions.getState(sessionId, SPEC_STATE_KEY))?.value;
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<SpecRecord>;
    return value.version === 1 && value.directive && Array.isArray(value.attempts) ? (value as SpecRecord) : undefined;
  } catch {
    return undefined;
  }
}
