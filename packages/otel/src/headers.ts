/**
 * The headers sent with each OTLP export, from the variable `[otel] headers_env` names, in the
 * OTEL_EXPORTER_OTLP_HEADERS format: `key=value` pairs separated by commas, values
 * percent-decoded. Problems are reported by position and key, never with a value (a header is
 * usually a credential).
 */
export function exportHeaders(
  variable: string | undefined,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Record<string, string> {
  if (variable === undefined) return {};
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') {
    warn(`[otel] headers_env names ${variable}, which is not set: exporting without its headers`);
    return {};
  }
  const headers: Record<string, string> = {};
  raw.split(',').forEach((entry, index) => {
    if (entry.trim() === '') return;
    const at = entry.indexOf('=');
    const key = at > 0 ? entry.slice(0, at).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      warn(`[otel] ${variable}: entry ${index + 1} is not key=value with a header name as key; skipped`);
      return;
    }
    let value = entry.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded after all: sent as written.
    }
    headers[key.toLowerCase()] = value;
  });
  return headers;
}
