// bench/chaos.mjs: invariant (f), budgets never overspent. Per capped user and UTC day, the spend
// table's total and (counted apart) the usage log's, against the cap; and whether the cap bit (a
// turn of the user refused for it), else the check would prove nothing.
import { query } from '../deployment.mjs';
import { userId } from './client.mjs';

/** Invariant (f) for the first `cappedUsers` users, each capped at `capUsd` a day. */
export async function budgetInvariant(schema, { turns, userCount, cappedUsers, capUsd, reserveUsd }) {
  const capped = Array.from({ length: cappedUsers }, (_, i) => userId(i));
  const spendRows = await query(
    `SELECT scope, period, usd FROM ${schema}.budget_spend WHERE scope = ANY($1::text[])`,
    [capped.map((user) => `user:${user}`)],
  );
  const usageRows = await query(
    `SELECT user_id, to_char(to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
            sum(cost_usd) AS usd, count(*) AS calls
     FROM ${schema}.usage_log WHERE user_id = ANY($1::text[]) GROUP BY 1, 2`,
    [capped],
  );
  const budgetRefused = new Map(capped.map((user) => [user, 0]));
  for (const turn of turns.values()) {
    const user = userId(turn.client % userCount);
    if (turn.outcome === 'error:budget_exceeded' && budgetRefused.has(user))
      budgetRefused.set(user, budgetRefused.get(user) + 1);
  }
  const perUser = Object.fromEntries(
    capped.map((user) => [
      user,
      {
        spend_by_period: Object.fromEntries(
          spendRows.filter((row) => row.scope === `user:${user}`).map((row) => [row.period, Number(row.usd)]),
        ),
        usage_log_by_day: Object.fromEntries(
          usageRows
            .filter((row) => row.user_id === user)
            .map((row) => [row.day, { usd: Number(row.usd), calls: Number(row.calls) }]),
        ),
        turns_refused_budget_exceeded: budgetRefused.get(user),
      },
    ]),
  );
  // Floating sums of many small charges: a cent's millionth is rounding, not overspending.
  const withinCap = (usd) => usd <= capUsd + 1e-9;
  const overspent = Object.entries(perUser).filter(
    ([, entry]) =>
      !Object.values(entry.spend_by_period).every(withinCap) ||
      !Object.values(entry.usage_log_by_day).every((day) => withinCap(day.usd)),
  );
  const neverBit = Object.entries(perUser).filter(([, entry]) => entry.turns_refused_budget_exceeded === 0);

  return {
    ok: overspent.length === 0 && neverBit.length === 0,
    cap_usd_per_day: capUsd,
    reserve_usd: reserveUsd,
    overspent: overspent.map(([user]) => user),
    cap_never_reached: neverBit.map(([user]) => user),
    users: perUser,
  };
}
