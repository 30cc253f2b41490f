/**
 * A spec run as stored with its session (session state key "spec"): the directive and every
 * attempt's per-criterion results, written after crystallizing and after each evaluation so
 * `oxydra sessions show` and the dashboard see a run in progress, not only its end.
 */
import { type SessionStore, visibleLine } from '@oxydra/types';
import type { Criterion, Directive } from './directive.js';

const SPEC_STATE_KEY = 'spec';

/** One criterion's result after an attempt (mechanical.ts checks, judge.ts judges). */
export interface CriterionResult {
  id: string;
  kind: Criterion['kind'];
  text: string;
  passed: boolean;
  /** Why it passed or failed: the command's exit and output tail, the file problem, the judge's reason. */
  detail: string;
}

/** Which criterion's work ran in which sub-agent (the outcome, `--json`, `sessions show`; split.ts). */
export interface SubAgentRecord {
  criterionId: string;
  agentId: string;
  /** The `[agents.<name>]` it ran (the spec run's own agent). */
  name: string;
  status: 'completed' | 'failed' | 'killed';
}

export interface AttemptRecord {
  attempt: number;
  agentId: string;
  /** How the attempt's agent run ended. */
  status: 'completed' | 'failed' | 'killed';
  /** The checkpoint taken just before the attempt: `oxydra checkpoints restore <id>` undoes it. */
  checkpointBefore?: string;
  results: CriterionResult[];
  passed: boolean;
  /** A split attempt's sub-agents: which criterion's work ran in which agent (split.ts). */
  subAgents?: SubAgentRecord[];
}

export interface SpecRecord {
  version: 1;
  directive: Directive;
  attempts: AttemptRecord[];
  maxAttempts: number;
  /** running while attempts go on; then passed or failed. */
  state: 'running' | 'passed' | 'failed';
}

export async function storeSpecRecord(
  sessions: Pick<SessionStore, 'getState' | 'setState'> | undefined,
  sessionId: string | undefined,
  record: SpecRecord,
) {
  if (!sessions || sessionId === undefined) return;
  // One writer per spec run; read the epoch, write, and on a lost race write once more.
  for (let tries = 0; tries < 2; tries++) {
    const epoch = (await sessions.getState(sessionId, SPEC_STATE_KEY))?.epoch ?? null;
    if (await sessions.setState(sessionId, SPEC_STATE_KEY, JSON.stringify(record), epoch)) return;
  }
}

/** The stored spec run of a session, if it had one (a malformed value reads as none). */
export async function loadSpecRecord(
  sessions: Pick<SessionStore, 'getState'>,
  sessionId: string,
): Promise<SpecRecord | undefined> {
  const raw = (await sessions.getState(sessionId, SPEC_STATE_KEY))?.value;
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<SpecRecord>;
    return value.version === 1 && value.directive && Array.isArray(value.attempts)
      ? (value as SpecRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The stored spec run as a Markdown section (`oxydra sessions show`). */
export function formatSpecRecord(record: SpecRecord): string {
  const lines = [
    '## Spec run',
    '',
    `state: ${record.state} (${record.attempts.length} of ${record.maxAttempts} attempts)`,
    '',
  ];
  // The model's and the workspace's text, one line each (see formatDirective).
  lines.push(`goal: ${visibleLine(record.directive.goal)}`);
  for (const constraint of record.directive.constraints) lines.push(`constraint: ${visibleLine(constraint)}`);
  for (const criterion of record.directive.criteria)
    lines.push(`criterion ${criterion.id} (${criterion.kind}): ${visibleLine(criterion.text)}`);
  for (const attempt of record.attempts) {
    lines.push(
      '',
      `### Attempt ${attempt.attempt}: ${attempt.passed ? 'passed' : 'failed'} (run ${attempt.status})`,
    );
    if (attempt.checkpointBefore)
      lines.push(`undo with: oxydra checkpoints restore ${attempt.checkpointBefore.slice(0, 12)}`);
    for (const r of attempt.results) {
      const sub = attempt.subAgents?.find((s) => s.criterionId === r.id);
      const where = sub ? ` (sub-agent ${sub.name} ${sub.agentId})` : '';
      lines.push(
        `- ${r.passed ? 'pass' : 'FAIL'} ${r.id}${where} ${visibleLine(r.text)}: ${visibleLine(r.detail.split('\n')[0] ?? '')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
