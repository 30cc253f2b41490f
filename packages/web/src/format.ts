/** How numbers, times and sizes read on the dashboard. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    ...(date.getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' }),
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value > 0 && value < 0.0001) return '<$0.0001';
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

/**
 * The dollars of calls some of which had no known price (a local model's), as the CLI's
 * `oxydra costs` says them: `$?` when none had one, `$0.0123 + ?` when some had none; never $0.
 */
export function formatCallsUsd(cost: number | null | undefined, calls: number, unknownCalls = 0): string {
  if (unknownCalls === 0) return formatUsd(cost);
  if (unknownCalls >= calls) return '$?';
  return `${formatUsd(cost)} + ?`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value.toLocaleString();
}

export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined) return '—';
  if (secs < 60) return `${Math.round(secs)} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${Math.round(secs % 60)} s`;
  const hours = Math.floor(secs / 3600);
  if (hours < 48) return `${hours} h ${Math.floor((secs % 3600) / 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** JSON for display, cut to `max` characters. */
export function shortJson(value: unknown, max = 160): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A session as lists show it: the name the gateway gives (its one naming rule, `sessionName` in
 * @oxydra/types: "Default session", the title, the short id), else the title, else the id.
 * Rendered as text, never HTML: it may be what a person or a model wrote.
 */
export function sessionLabel(session: {
  session_id: string;
  name?: string;
  display_name?: string | null;
}): string {
  return session.name || session.display_name || session.session_id;
}
