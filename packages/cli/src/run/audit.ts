/**
 * The workspace's audit log, `.oxydra/audit.jsonl`: one JSON line per decision on a privileged
 * tool call (who decided, approved or not, the scrubbed command). Tools cannot read or change
 * `.oxydra/`, so an agent cannot cover its tracks. Appended synchronously: decisions are rare
 * and each line must be on disk before the command it allowed runs.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalRecord } from '@oxydra/tools';

export function auditLogPath(workspace: string): string {
  return join(workspace, '.oxydra', 'audit.jsonl');
}

export function approvalAuditor(workspace: string): (record: ApprovalRecord) => void {
  const path = auditLogPath(workspace);
  return (record) => {
    mkdirSync(join(workspace, '.oxydra'), { recursive: true });
    appendFileSync(path, `${JSON.stringify({ type: 'approval', ...record })}\n`, { mode: 0o600 });
  };
}
