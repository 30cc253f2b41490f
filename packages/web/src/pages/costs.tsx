/** Costs over time and by agent, model, user or session, from the kernel's usage log, as charts and a table. */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import type { CostReport } from '../api-types.js';
import { formatCallsUsd, formatCount, formatUsd } from '../format.js';
import { BarChart, ColumnChart, type Datum } from '../ui/charts.js';
import { Empty, Loaded, PageHeader, useResource } from '../ui/common.js';
import { Table } from '../ui/table.js';

const GROUPS = ['day', 'agent', 'model', 'user', 'session'] as const;
const RANGES: { label: string; days: number | undefined }[] = [
  { label: 'Last 7 days', days: 7 },
  { label: 'Last 30 days', days: 30 },
  { label: 'Last 90 days', days: 90 },
  { label: 'All time', days: undefined },
];

/** Every day from `since` to today, so quiet days show as empty columns. */
function fillDays(rows: Datum[], days: number | undefined): Datum[] {
  if (days === undefined || rows.length === 0)
    return [...rows].sort((a, b) => a.label.localeCompare(b.label));
  const byDay = new Map(rows.map((row) => [row.label, row.value]));
  const out: Datum[] = [];
  const today = new Date();
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    const label = day.toISOString().slice(0, 10);
    out.push({ label, value: byDay.get(label) ?? 0 });
  }
  return out;
}

export function CostsPage() {
  const [by, setBy] = useState<(typeof GROUPS)[number]>('day');
  const [range, setRange] = useState(1);
  const [metric, setMetric] = useState<'cost' | 'tokens'>('cost');
  const days = RANGES[range]?.days;
  const report = useResource(() => {
    const since =
      days === undefined ? undefined : new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
    return api<CostReport>(`/api/v1/costs${query({ by, since })}`);
  }, [by, days]);
  const format = metric === 'cost' ? formatUsd : (value: number) => formatCount(Math.round(value));
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Costs" />
      <div class="toolbar">
        <label for="costs-by">Group by</label>
        <select
          id="costs-by"
          value={by}
          onChange={(e) => setBy((e.target as HTMLSelectElement).value as typeof by)}
        >
          {GROUPS.map((group) => (
            <option key={group} value={group}>
              {group}
            </option>
          ))}
        </select>
        <label for="costs-range">Period</label>
        <select
          id="costs-range"
          value={range}
          onChange={(e) => setRange(Number((e.target as HTMLSelectElement).value))}
        >
          {RANGES.map((option, i) => (
            <option key={option.label} value={i}>
              {option.label}
            </option>
          ))}
        </select>
        <label for="costs-metric">Show</label>
        <select
          id="costs-metric"
          value={metric}
          onChange={(e) => setMetric((e.target as HTMLSelectElement).value as typeof metric)}
        >
          <option value="cost">dollars</option>
          <option value="tokens">tokens</option>
        </select>
      </div>
      <Loaded resource={report} what="costs">
        {(data) => {
          const points: Datum[] = data.rows.map((row) => ({
            label: row.key,
            value: metric === 'cost' ? row.cost_usd : row.input_tokens + row.output_tokens,
          }));
          const title = `${metric === 'cost' ? 'Spend' : 'Tokens'} by ${data.by}`;
          const unknown = data.rows.reduce((sum, row) => sum + (row.unknown_cost_calls ?? 0), 0);
          return data.rows.length === 0 ? (
            <Empty>No model calls recorded in this period.</Empty>
          ) : (
            <>
              <p class="totals">
                Total{' '}
                <strong>
                  {formatCallsUsd(
                    data.totals.cost_usd,
                    data.totals.calls ?? 0,
                    data.totals.unknown_cost_calls ?? unknown,
                  )}
                </strong>{' '}
                over {formatCount(data.totals.calls)} calls · {formatCount(data.totals.input_tokens)} tokens
                in · {formatCount(data.totals.output_tokens)} out
                {unknown > 0 ? ` · ${unknown} call(s) without a known price` : ''}
              </p>
              {data.by === 'day' ? (
                <ColumnChart title={title} data={fillDays(points, days)} format={format} />
              ) : (
                <BarChart
                  title={title}
                  data={[...points].sort((a, b) => b.value - a.value)}
                  format={format}
                />
              )}
              <Table
                caption={title}
                empty="No model calls recorded in this period."
                rows={data.rows}
                rowKey={(row) => row.key}
                columns={[
                  { header: data.by, rowHeader: true, sort: (row) => row.key, cell: (row) => row.key },
                  {
                    header: 'Calls',
                    align: 'num',
                    sort: (row) => row.calls,
                    cell: (row) => formatCount(row.calls),
                  },
                  {
                    header: 'Tokens in',
                    align: 'num',
                    sort: (row) => row.input_tokens,
                    cell: (row) => formatCount(row.input_tokens),
                  },
                  {
                    header: 'Tokens out',
                    align: 'num',
                    sort: (row) => row.output_tokens,
                    cell: (row) => formatCount(row.output_tokens),
                  },
                  {
                    header: 'Cost',
                    align: 'num',
                    sort: (row) => row.cost_usd,
                    cell: (row) => formatCallsUsd(row.cost_usd, row.calls, row.unknown_cost_calls ?? 0),
                  },
                ]}
              />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
