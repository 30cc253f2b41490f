/**
 * /cost: what this conversation's session has cost, and what the sender's user has spent today
 * against their caps, from the kernel's own records (the usage log through `costs`, the caps
 * and spend through `budgets`), the numbers `oxydra costs` and `oxydra budget show` print.
 */
import type { Kernel } from '@oxydra/kernel';

export type ServiceKernel = Pick<Kernel, 'service'>;

/** Dollars as people read them: cents, or the first digits of a fraction of a cent. */
const usd = (value: number) =>
  value > 0 && value < 0.01 ? `$${Number(value.toPrecision(2))}` : `$${value.toFixed(2)}`;

export async function costReply(
  kernel: ServiceKernel,
  userId: string,
  sessionId: string | undefined,
): Promise<string> {
  const [costs, budgets] = await Promise.all([kernel.service('costs'), kernel.service('budgets')]);
  const lines: string[] = [];
  if (sessionId === undefined) lines.push('This conversation: not recorded (memory is off here).');
  else {
    const { rows } = await costs.report({ by: 'session', userId });
    const row = rows.find((r) => r.key === sessionId);
    const unknown = row?.unknown_cost_calls ? ` (and ${row.unknown_cost_calls} of unknown price)` : '';
    lines.push(
      `This conversation: ${usd(row?.cost_usd ?? 0)} over ${row?.calls ?? 0} model call(s)${unknown}.`,
    );
  }
  const scope = (await budgets.show()).find((b) => b.scope === `user:${userId}`);
  lines.push(`Today: ${usd(scope?.today.usd ?? 0)} over ${scope?.today.calls ?? 0} model call(s).`);
  for (const cap of scope?.caps ?? []) {
    if (cap.key !== 'daily_usd' && cap.key !== 'monthly_usd') continue;
    const what = cap.key === 'daily_usd' ? 'Daily cap' : 'Monthly cap';
    const resets = cap.resetsAt.replace('T', ' ').slice(0, 16);
    lines.push(
      `${what}: ${usd(cap.used)} of ${usd(cap.limit)} used, ${usd(cap.remaining)} left (resets ${resets} UTC).`,
    );
  }
  if (!scope?.caps.some((cap) => cap.key === 'daily_usd' || cap.key === 'monthly_usd'))
    lines.push('No spending cap is set for you.');
  return lines.join('\n');
}
