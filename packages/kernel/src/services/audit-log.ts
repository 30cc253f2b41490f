/**
 * The workspace's audit log, `.oxydra/audit.jsonl`: one JSON line per decision on a privileged
 * tool call (who decided, approved or not, the scrubbed command). Tools cannot read or change
 * `.oxydra/`, so an agent cannot cover its tracks. Appended synchronously: decisions are rare
 * and each line must be on disk before the command it allowed runs.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EgressDecision } from '@oxydra/sandbox';
import type { ApprovalRecord } from '@oxydra/tools';

export function auditLogPath(workspace: string): string {
  return join(workspace, '.oxydra', 'audit.jsonl');
}

function appendAudit(workspace: string, entry: Record<string, unknown>): void {
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  appendFileSync(auditLogPath(workspace), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function approvalAuditor(workspace: string): (record: ApprovalRecord) => void {
  return (record) => appendAudit(workspace, { type: 'approval', ...record });
}

/** With network = "allowlist": every connection a sandboxed command asked for, and the answer. */
export function egressAuditor(workspace: string): (decision: EgressDecision) => void {
  return (decision) => appendAudit(workspace, { type: 'egress', at: new Date().toISOString(), ...decision });
}
