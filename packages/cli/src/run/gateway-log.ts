/**
 * The gateway's log: one line per event, pretty (time, level, message, key=value fields) or
 * JSON lines ({"time","level","msg",...fields}) for log collectors. Debug lines only with
 * OXYDRA_DEBUG. The gateway never hands the logger a token or key on purpose, but an error's text
 * can carry one (a provider echoing the key it was sent): once the kernel is open, every line has
 * the kernel's known secrets (the one list, knownSecrets) replaced before it is written to the
 * terminal or, as JSON, to the workspace's log file (run/gateway-log-file.ts; read by `oxydra logs`).
 */
import type { GatewayLogger, LogLevel } from '@oxydra/gateway';
import { redactLiterals } from '@oxydra/tools';
import { hasTerminalControls, visibleLine } from '@oxydra/types';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One event as the JSON format writes it. */
interface LogRecord {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

const COLORS: Record<string, string> = {
  debug: '\x1b[2m',
  info: '\x1b[36m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};
const RESET = '\x1b[0m';
const NEEDS_QUOTES = /[\s"=]/;

/**
 * A field's value, quoted when it holds spaces, quotes or controls. JSON escapes C0 controls but
 * leaves C1 ones and bidi overrides, which a remote client or a model can put in what is logged
 * (a Host header, an error's text): those are written out too (visibleLine).
 */
function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return visibleLine(NEEDS_QUOTES.test(text) || hasTerminalControls(text) ? JSON.stringify(text) : text);
}

/**
 * A record as a pretty line: the time of day (or the full time, for a file that spans days),
 * the level, the message and the fields. Nothing in it can move a terminal's cursor.
 */
function prettyLine(record: LogRecord, options: { color: boolean; fullTime?: boolean }): string {
  const { time, level, msg, ...fields } = record;
  const clock = options.fullTime ? time : time.slice(11, 19);
  const tag = String(level).toUpperCase().padEnd(5);
  const extra = Object.entries(fields)
    .map(([key, value]) => `${visibleLine(key)}=${fieldText(value)}`)
    .join(' ');
  const color = COLORS[level];
  const levelText = options.color && color ? `${color}${tag}${RESET}` : tag;
  const message = visibleLine(String(msg));
  return `${clock} ${levelText} ${message}${extra ? ` ${extra}` : ''}`;
}

export function gatewayLogger(
  format: LogFormat,
  stream: NodeJS.WritableStream,
  options: {
    color: boolean;
    debug: boolean;
    file?: (jsonLine: string) => void;
    /** The secret values to replace in every line (read per line: known once the kernel is open). */
    secrets?: () => readonly string[];
  },
): GatewayLogger {
  return (level: LogLevel, message, fields = {}) => {
    if (level === 'debug' && !options.debug) return;
    const secrets = options.secrets?.() ?? [];
    const scrub = (value: unknown): unknown =>
      typeof value === 'string' && secrets.length > 0 ? redactLiterals(value, secrets) : value;
    const record: LogRecord = {
      time: new Date().toISOString(),
      level,
      msg: scrub(message) as string,
      ...Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, scrub(value)])),
    };
    const json = `${JSON.stringify(record)}\n`;
    options.file?.(json);
    stream.write(format === 'json' ? json : `${prettyLine(record, options)}\n`);
  };
}

/** A stored line as printed: the JSON itself with --json, else the pretty line (or the text as is). */
export function renderLogLine(line: string, json: boolean, color: boolean): string | undefined {
  if (line === '') return undefined;
  if (json) return line;
  try {
    const record = JSON.parse(line) as LogRecord;
    if (typeof record === 'object' && record !== null && typeof record.time === 'string')
      return prettyLine(record, { color, fullTime: true });
  } catch {
    // Not one of ours: shown as it is, below, made harmless for the terminal.
  }
  return visibleLine(line);
}
