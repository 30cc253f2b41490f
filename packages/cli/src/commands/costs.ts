/**
 * `oxydra costs [--by day|agent|model|user|session] [--since] [--until] [--user] [--json]`: what
 * the workspace's agents spent, from the kernel's usage log (one row per priced call). Days are
 * UTC. A call whose model has no known price is never counted as $0: its row shows `$?` and the
 * totals say how many such calls there were.
 */
import { COST_GROUPS, type CostGroup, type CostReport, type CostTotals } from '@oxydra/kernel/admin';
import { shortSessionIds, UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printLines } from '../run/print.js';
import { withWorkspaceServices } from '../run/workspace-services.js';
import { sinceTime } from './audit.js';

export interface CostsOptions {
  by?: string;
  since?: string;
  until?: string;
  user?: string;
  json?: boolean;
}

const HEADINGS: Record<CostGroup, string> = {
  day: 'DAY (UTC)',
  agent: 'AGENT',
  model: 'MODEL',
  user: 'USER',
  session: 'SESSION',
};

const money = (usd: number) => `$${usd.toFixed(usd >= 1 ? 2 : usd > 0 && usd < 0.01 ? 6 : 4)}`;
const count = (n: number) => n.toLocaleString('en-US');

/** The dollars of a row: `$?` when no call had a price, `$0.0123 + ?` when some had none. */
function cost(totals: CostTotals): string {
  if (totals.unknown_cost_calls === 0) return money(totals.cost_usd);
  if (totals.unknown_cost_calls === totals.calls) return '$?';
  return `${money(totals.cost_usd)} + ?`;
}

function groupOf(raw: string | undefined): CostGroup {
  if (raw === undefined) return 'day';
  if (!(COST_GROUPS as readonly string[]).includes(raw)) {
    throw new UsageError(`--by ${raw}: use one of ${COST_GROUPS.join(', ')}`);
  }
  return raw as CostGroup;
}

/** An ISO date/time, or a duration ago ("7d"), as `audit list --since` takes them. */
function timeFlag(flag: string, raw: string): string {
  try {
    return sinceTime(raw);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(error.message.replace(/^--since/, flag), {
      ...(error.hint !== undefined ? { hint: error.hint } : {}),
    });
  }
}

function render(report: CostReport): string {
  const range = [
    report.since !== undefined ? `since ${report.since.slice(0, 16).replace('T', ' ')} UTC` : '',
    report.until !== undefined ? `until ${report.until.slice(0, 16).replace('T', ' ')} UTC` : '',
    report.userId !== undefined ? `user ${report.userId}` : '',
  ].filter(Boolean);
  const title = `Costs by ${report.by}${range.length > 0 ? `, ${range.join(', ')}` : ''}`;
  if (report.rows.length === 0)
    return `${title}\nno model calls recorded${range.length > 0 ? ' in this range' : ''}\n`;
  const shorts =
    report.by === 'session'
      ? shortSessionIds(report.rows.map((row) => row.key).filter((key) => key !== '(none)'))
      : new Map<string, string>();
  const table = [
    [HEADINGS[report.by], 'CALLS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST'],
    ...report.rows.map((row) => [
      shorts.get(row.key) ?? row.key,
      count(row.calls),
      count(row.input_tokens),
      count(row.output_tokens),
      cost(row),
    ]),
    [
      'TOTAL',
      count(report.totals.calls),
      count(report.totals.input_tokens),
      count(report.totals.output_tokens),
      cost(report.totals),
    ],
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  const lines = table.map((cells) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
  const unknown = report.totals.unknown_cost_calls;
  const note =
    unknown > 0
      ? `\n$?: ${count(unknown)} call${unknown === 1 ? '' : 's'} to a model without a known price (a local server's, or one the catalog lacks): counted in calls and tokens, not in dollars; set catalog_provider on its provider entry for prices\n`
      : '\n';
  return `${title}\n${lines.join('\n')}${note}`;
}

export async function runCosts(options: CostsOptions): Promise<number> {
  const by = groupOf(options.by);
  const since = options.since !== undefined ? timeFlag('--since', options.since) : undefined;
  const until = options.until !== undefined ? timeFlag('--until', options.until) : undefined;
  return withWorkspaceServices(['costs'], async ({ costs }) => {
    const report = await costs.report({
      by,
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(options.user !== undefined ? { userId: options.user } : {}),
    });
    // Rows are named by users, sessions and agents (a session's name is a model's text).
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printLines(render(report));
    return EXIT_OK;
  });
}
