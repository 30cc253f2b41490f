/**
 * How long a server asked us to wait before retrying, from the headers every API uses
 * (`retry-after-ms`, `retry-after` in seconds or as an HTTP date) or Google's RetryInfo
 * (`"retryDelay": "37s"`). The reliability wrapper prefers this over its own backoff.
 */

/** Headers as the SDKs expose them: a fetch `Headers`, or a plain record. */
export type HeaderSource = { get(name: string): string | null } | Record<string, unknown>;

function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/** `now` is a parameter so HTTP-date handling is testable without the wall clock. */
export function retryAfterFromHeaders(
  headers: HeaderSource | undefined,
  now = Date.now(),
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = headerValue(headers, 'retry-after')?.trim();
  if (after === undefined || after === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.round(Number.parseFloat(after) * 1000);
  const date = Date.parse(after);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Google's protobuf Duration in JSON: "37s", "1.5s". */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match?.[1] === undefined ? undefined : Math.round(Number.parseFloat(match[1]) * 1000);
}
