/**
 * `oxydra approvals list|approve|reject`: the admin operations asked for over the gateway that
 * wait for a second person (raising or removing a spending cap, an admin token). At the
 * terminal you are the workspace's owner: your decision is recorded in the audit chain as `cli`.
 */
import { type AdminApproval, describeAdminOperation } from '@oxydra/kernel/admin';
import { visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { withWorkspaceServices } from '../run/workspace-services.js';

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** One request as one line: who asked, for what and why are a gateway client's text, written out. */
function line(approval: AdminApproval): string {
  const decided =
    approval.status === 'pending'
      ? `expires ${when(approval.expiresAt)} UTC`
      : `${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.reason ? ` (${approval.reason})` : ''}`;
  return `${visibleLine(`${approval.id}  ${approval.status.padEnd(8)}  ${describeAdminOperation(approval.operation)}  asked by ${approval.requestedBy} ${when(approval.requestedAt)}  ${decided}`)}\n`;
}

export async function runApprovalsList(options: { all?: boolean; json?: boolean }): Promise<number> {
  return withWorkspaceServices(['adminApprovals'], async ({ adminApprovals }) => {
    const list = await adminApprovals.list({ all: options.all === true });
    if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else if (list.length === 0)
      process.stdout.write(options.all ? 'no approval requests yet\n' : 'nothing waits for approval\n');
    else for (const approval of list) process.stdout.write(line(approval));
    return EXIT_OK;
  });
}

export async function runApprovalsApprove(id: string): Promise<number> {
  return withWorkspaceServices(['adminApprovals'], async ({ adminApprovals }) => {
    const approval = await adminApprovals.approve(id, 'cli');
    process.stdout.write(
      `approved ${approval.id}: ${visibleLine(describeAdminOperation(approval.operation))} (done)\n`,
    );
    return EXIT_OK;
  });
}

export async function runApprovalsReject(id: string, options: { reason?: string }): Promise<number> {
  return withWorkspaceServices(['adminApprovals'], async ({ adminApprovals }) => {
    const approval = await adminApprovals.reject(id, 'cli', options.reason);
    process.stdout.write(
      `rejected ${approval.id}: ${visibleLine(describeAdminOperation(approval.operation))}\n`,
    );
    return EXIT_OK;
  });
}
