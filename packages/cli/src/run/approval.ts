/**
 * Asking a person before a privileged tool runs (tools.approval = "ask"). Only when someone can
 * answer: stdin and stderr are terminals and the output is not JSON. Otherwise there is no
 * approver and the registry denies the call with a message saying how to allow it (--yes).
 */
import { createInterface } from 'node:readline/promises';
import type { ApprovalRequest } from '@oxydra/types';

export function terminalApprover(): ((request: ApprovalRequest) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (request) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`\nAllow ${request.toolName}: ${request.summary}? [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}
