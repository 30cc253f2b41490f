/**
 * The periods caps count over: UTC days, UTC calendar months and fixed windows of
 * window_secs. A period's key names it in the ledger; its end is when the cap resets.
 */
export type PeriodKind = 'day' | 'month' | 'window';

export interface Period {
  kind: PeriodKind;
  key: string;
  /** When the next period starts (the cap resets), epoch ms. */
  endsAt: number;
}

export function periodOf(kind: PeriodKind, now: number, windowSecs = 3600): Period {
  const at = new Date(now);
  if (kind === 'day') {
    const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
    return { kind, key: `day:${new Date(start).toISOString().slice(0, 10)}`, endsAt: start + 86_400_000 };
  }
  if (kind === 'month') {
    const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    return {
      kind,
      key: `month:${new Date(start).toISOString().slice(0, 7)}`,
      endsAt: Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1),
    };
  }
  const index = Math.floor(now / (windowSecs * 1000));
  return { kind, key: `window:${windowSecs}:${index}`, endsAt: (index + 1) * windowSecs * 1000 };
}

/** "2026-11-23 00:00 UTC (in 9h 12m)". */
export function describeReset(endsAt: number, now: number): string {
  const when = new Date(endsAt).toISOString().slice(0, 16).replace('T', ' ');
  const minutes = Math.max(1, Math.ceil((endsAt - now) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const span = days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${rest}m` : `${rest}m`;
  return `${when} UTC (in ${span})`;
}
