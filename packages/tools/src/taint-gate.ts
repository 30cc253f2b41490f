/**
 * The registry's side of the taint policy: when the run's context holds untrusted content and
 * the kernel's policy says a call needs a fresh human approval (or must not run), the call is
 * asked about with the reason, even under approval = "auto" (--yes is no answer to a page the
 * user never read), and refused with that reason where nobody can answer. The rule itself (what
 * is untrusted, which calls are sensitive) lives in the kernel: this file only carries it out.
 */
import type { ApprovalRequest, ToolContext, ToolInvocation } from '@oxydra/types';

/** What the policy decided about one call of a tainted run. */
export interface TaintVerdict {
  action: 'ask' | 'refuse';
  /** Why, naming the content: "this call follows content from the web page https://…". */
  reason: string;
  /** How to allow it instead, for refusals: `[taint.rules] shell_network = "allow"`. */
  fix: string;
}

/**
 * The kernel's policy, asked before a call runs whose context holds provenance; undefined lets
 * the call go through the usual approval. `args` are the validated arguments.
 */
export type TaintScreen = (
  call: Pick<ToolInvocation, 'name'> & { arguments: Record<string, unknown> },
  context: ToolContext,
) => TaintVerdict | undefined;

export type TaintDecision = { refusal?: string; by: 'user' | 'no_approver' | 'taint' };

/** Asks a human under the verdict; the refusal (with reason and fix) when it may not run. */
export async function decideTainted(
  verdict: TaintVerdict,
  request: Omit<ApprovalRequest, 'reason'>,
  context: ToolContext,
  /** Throws when the run was cancelled while asking. */
  onCancelled: () => void,
): Promise<TaintDecision> {
  const { toolName } = request;
  if (verdict.action === 'refuse') {
    return {
      refusal: `${toolName} was refused: ${verdict.reason}. To allow it: ${verdict.fix}.`,
      by: 'taint',
    };
  }
  // --yes and approval = "auto" are no answer to content the user never read: say so.
  const noApprover = (why: string): TaintDecision => ({
    refusal:
      `${toolName} needs a fresh approval because ${verdict.reason}, and ${why}. ` +
      `[tools] approval = "auto" (--yes) does not cover it; to allow it without asking: ${verdict.fix}.`,
    by: 'no_approver',
  });
  if (!context.approve) return noApprover('nobody can give it here (not interactive)');
  let approved: boolean;
  try {
    approved = await context.approve({
      ...request,
      // The summary is what every approver shows (terminal, chat, dashboard): it says why too.
      summary: `${request.summary} (asked because ${verdict.reason})`,
      reason: verdict.reason,
    });
  } catch (error) {
    onCancelled();
    return noApprover(`it could not be asked (${error instanceof Error ? error.message : String(error)})`);
  }
  return approved
    ? { by: 'user' }
    : { refusal: `The user declined to run ${toolName} (${verdict.reason}): ${request.summary}`, by: 'user' };
}
