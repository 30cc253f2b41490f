/**
 * `oxydra budget show|set|reset`: spending caps per user and per agent (per UTC day and month,
 * tokens and calls per window), what has been spent against them, and the admin operations
 * that change a cap or forget a period's spend. Changes are audited. `show` gives each cap in
 * force with where it comes from: explicit (set for the scope), default ([budgets]) or none.
 */
import type { BudgetTarget, CapKey, ScopeBudget } from '@oxydra/kernel/admin';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printLines } from '../run/print.js';
import { withWorkspaceServices } from '../run/workspace-services.js';

/** Who runs budget commands from a terminal: the workspace's owner. */
const CLI_ACTOR = 'cli';

interface TargetFlags {
  user?: string;
  agent?: string;
}

function targetOf(flags: TargetFlags): BudgetTarget {
  if ((flags.user === undefined) === (flags.agent === undefined)) {
    throw new UsageError('name one of --user <id> or --agent <name>', {
      hint: 'e.g. oxydra budget set --user alice --daily 5',
    });
  }
  return flags.user !== undefined ? { user: flags.user } : { agent: flags.agent! };
}

const money = (usd: number) => `$${usd.toFixed(usd >= 1 ? 2 : usd > 0 && usd < 0.01 ? 6 : 4)}`;

function render(budgets: ScopeBudget[]): string {
  const lines: string[] = [];
  for (const budget of budgets) {
    lines.push(
      `${budget.scope}: today ${money(budget.today.usd)} (${budget.today.calls} calls), this month ${money(budget.month.usd)}`,
    );
    for (const cap of budget.caps) {
      const isMoney = cap.key.endsWith('_usd');
      const show = (value: number) => (isMoney ? money(value) : String(value));
      const held = cap.reserved > 0 ? `, ${show(cap.reserved)} reserved` : '';
      lines.push(
        `  ${cap.key.padEnd(17)} ${show(cap.used)} of ${show(cap.limit)} used${held}, ${show(cap.remaining)} left; resets ${cap.resetsAt.slice(0, 16).replace('T', ' ')} UTC  (${cap.origin}: ${cap.source})`,
      );
    }
    // Said outright: a scope without a cap is unlimited, not forgotten.
    for (const key of budget.uncapped) lines.push(`  ${key.padEnd(17)} no cap  (none)`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runBudgetShow(options: { json?: boolean }): Promise<number> {
  return withWorkspaceServices(['budgets'], async ({ budgets }) => {
    const shown = await budgets.show();
    // Users and agents are named by gateway clients and the configuration.
    if (options.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    else printLines(render(shown));
    return EXIT_OK;
  });
}

function amount(flag: string, raw: string | undefined): number | undefined | 'unset' {
  if (raw === undefined) return undefined;
  if (raw === 'none' || raw === 'off') return 'unset';
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag}: a number above 0 (or "none" to remove the cap), got "${raw}"`);
  }
  return value;
}

export async function runBudgetSet(
  options: TargetFlags & { daily?: string; monthly?: string; tokens?: string; calls?: string },
): Promise<number> {
  const target = targetOf(options);
  const changes = (
    [
      ['daily_usd', amount('--daily', options.daily)],
      ['monthly_usd', amount('--monthly', options.monthly)],
      ['tokens_per_window', amount('--tokens', options.tokens)],
      ['calls_per_window', amount('--calls', options.calls)],
    ] as [CapKey, number | 'unset' | undefined][]
  ).filter(([, value]) => value !== undefined);
  if (changes.length === 0) {
    throw new UsageError('nothing to set: give --daily, --monthly, --tokens or --calls', {
      hint: 'e.g. oxydra budget set --user alice --daily 5 --monthly 50',
    });
  }
  return withWorkspaceServices(['budgets'], async ({ budgets }) => {
    for (const [key, value] of changes) {
      await budgets.set(target, key, value === 'unset' ? undefined : value, CLI_ACTOR);
      process.stdout.write(
        `${'user' in target ? `user ${target.user}` : `agent ${target.agent}`}: ${key} ${value === 'unset' ? 'removed (the configuration applies)' : `set to ${value}`}\n`,
      );
    }
    return EXIT_OK;
  });
}

export async function runBudgetReset(options: TargetFlags): Promise<number> {
  const target = targetOf(options);
  return withWorkspaceServices(['budgets'], async ({ budgets }) => {
    await budgets.reset(target, CLI_ACTOR);
    process.stdout.write(
      `${'user' in target ? `user ${target.user}` : `agent ${target.agent}`}: this day's, month's and window's spend forgotten\n`,
    );
    return EXIT_OK;
  });
}
