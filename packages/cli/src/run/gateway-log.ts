/**
 * The gateway's log: one line per event, pretty (time, level, message, key=value fields) or
 * JSON lines ({"time","level","msg",...fields}) for log collectors. Debug lines only with
 * OXYDRA_DEBUG. The gateway never hands the logger a token or key.
 */
import type { GatewayLogger, LogLevel } from '@oxydra/gateway';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const COLORS: Record<LogLevel, string> = {
  debug: '\x1b[2m',
  info: '\x1b[36m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};
const RESET = '\x1b[0m';

function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function gatewayLogger(
  format: LogFormat,
  stream: NodeJS.WritableStream,
  options: { color: boolean; debug: boolean },
): GatewayLogger {
  return (level, message, fields = {}) => {
    if (level === 'debug' && !options.debug) return;
    const time = new Date();
    if (format === 'json') {
      stream.write(`${JSON.stringify({ time: time.toISOString(), level, msg: message, ...fields })}\n`);
      return;
    }
    const clock = time.toISOString().slice(11, 19);
    const tag = level.toUpperCase().padEnd(5);
    const extra = Object.entries(fields)
      .map(([key, value]) => `${key}=${fieldText(value)}`)
      .join(' ');
    const levelText = options.color ? `${COLORS[level]}${tag}${RESET}` : tag;
    stream.write(`${clock} ${levelText} ${message}${extra ? ` ${extra}` : ''}\n`);
  };
}
