/** Short, human forms of token counts, dollars and times for the status bar and lists (session ids: @oxydra/types). */
import type { UsageTotals } from './state.js';

/** 950, 1.2k, 34k, 1.5M */
function formatTokens(count: number): string {
  if (count < 1_000) return String(count);
  if (count < 10_000) return `${(count / 1_000).toFixed(1)}k`;
  if (count < 1_000_000) return `${Math.round(count / 1_000)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

/** Dollars with enough digits to see small costs: $0.0012, $0.42, $12.30 */
function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

/** "1.2k in · 340 out · $0.0031" (the cost left out when some turn had no price). */
export function formatUsage(usage: UsageTotals): string {
  const tokens = `${formatTokens(usage.inputTokens)} in · ${formatTokens(usage.outputTokens)} out`;
  return usage.costKnown && usage.turns > 0 ? `${tokens} · ${formatCost(usage.costUsd)}` : tokens;
}

/** An ISO timestamp as local "YYYY-MM-DD HH:MM", or the text unchanged when it is not one. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
