/**
 * One call of an MCP server's tool, on whatever connection its source has: the model's abort
 * forwarded to a signal of this call only, the server's progress passed on, secrets in the
 * answer redacted, and the answers for a timeout, a refusal, a server that is not connected and
 * a connection lost during the call (resent once only when that cannot repeat an effect: the
 * request never reached the server, or the tool is read-only). Progress lines are cut and
 * thinned (progressReporter). Only the timeout is in Oxydra's
 * words alone: the other three give a reason that may quote the server (its JSON-RPC error, the
 * first line of its stderr, its exit), so it goes below the untrusted line.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext, ToolResult } from '@oxydra/types';
import { connectionError, messageOf, notDelivered } from './connection-errors.js';
import type { McpToolInfo } from './offered-tools.js';
import { type McpCallResult, showServerWords, toToolResult } from './results.js';

/** What a call needs of its source (McpServerSource): the connection and how to word failures. */
export interface ToolCallSource<Live extends { client: Client }> {
  /** The `[mcp.servers.<name>]` key. */
  server: string;
  /** `[mcp] call_timeout_secs` in ms. */
  timeoutMs: number;
  /** Values redacted from the tool's output. */
  outputSecrets: readonly string[];
  /** The live connection, waiting briefly for a reconnect; undefined when there is none. */
  ready(signal: AbortSignal): Promise<Live | undefined>;
  /** The source's health detail, for the "not connected" answer. */
  detail(): string;
  scrub(text: string): string;
  /** The one line for a connection failure (secrets scrubbed). */
  reasonOf(error: unknown): string;
  /** The connection `live` is gone: the source reconnects. */
  dropped(live: Live, reason: string): void;
}

/** The longest progress line passed on (a remote agent's are cut the same: task-follow.ts). */
export const MAX_PROGRESS_CHARS = 300;
/** A call's first progress reports all passed on; after them, one in PROGRESS_STRIDE. */
export const PROGRESS_REPORTS = 100;
const PROGRESS_STRIDE = 100;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * The server's progress notifications for one call as report lines: its message (else
 * "progress/total") on one line without control characters, cut to MAX_PROGRESS_CHARS, the
 * first PROGRESS_REPORTS of them and then one in PROGRESS_STRIDE. A hostile server's 500
 * notifications of 100 KB each reached every host whole (50 MB of `oxydra run --json` events);
 * counted, not timed, so it is the same on every run.
 */
function progressReporter(report: (line: string) => void): (progress: Progress) => void {
  let seen = 0;
  return (progress) => {
    seen++;
    if (seen > PROGRESS_REPORTS && (seen - PROGRESS_REPORTS) % PROGRESS_STRIDE !== 0) return;
    const said =
      typeof progress.message === 'string'
        ? progress.message
        : `${progress.progress}${progress.total !== undefined ? `/${progress.total}` : ''}`;
    const line = said
      .slice(0, MAX_PROGRESS_CHARS * 2)
      .replace(CONTROL, ' ')
      .trim();
    if (line) report(line.length > MAX_PROGRESS_CHARS ? `${line.slice(0, MAX_PROGRESS_CHARS - 1)}…` : line);
  };
}

export async function callTool<Live extends { client: Client }>(
  source: ToolCallSource<Live>,
  info: McpToolInfo,
  args: Record<string, unknown>,
  context: ToolContext,
): Promise<ToolResult> {
  const timeout = source.timeoutMs;
  for (let tries = 0; ; tries++) {
    const live = await source.ready(context.signal);
    if (context.signal.aborted) throw context.signal.reason ?? new Error('cancelled');
    if (!live) {
      return {
        content: showServerWords(
          source.server,
          [
            `[${info.name} is unavailable: MCP server "${source.server}" is not connected. Try again later or use another tool. The reason below may quote the server]`,
          ],
          source.detail(),
        ),
        isError: true,
      };
    }
    // A signal of this call only: the SDK never removes the listener it adds, which would
    // pile up on a long-lived signal (a CLI's, a host's).
    const call = new AbortController();
    const forward = () => call.abort(context.signal.reason);
    context.signal.addEventListener('abort', forward, { once: true });
    try {
      const result = (await live.client.callTool({ name: info.original, arguments: args }, undefined, {
        signal: call.signal,
        timeout,
        ...(context.onProgress ? { onprogress: progressReporter(context.onProgress) } : {}),
      })) as McpCallResult;
      const converted = toToolResult(result, source.server, info.original);
      for (const secret of source.outputSecrets)
        converted.content = converted.content.split(secret).join('[redacted]');
      return converted;
    } catch (error) {
      if (context.signal.aborted) throw error;
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        return {
          content: `${info.name} timed out after ${Math.round(timeout / 100) / 10} s`,
          isError: true,
        };
      }
      if (!connectionError(error)) {
        // The error's message is the server's (a JSON-RPC error), or the SDK's quoting its answer.
        return {
          content: showServerWords(
            source.server,
            [`[MCP server "${source.server}" refused ${info.name}; the error below may quote the server]`],
            source.scrub(messageOf(error)),
          ),
          isError: true,
        };
      }
      const reason = source.reasonOf(error);
      source.dropped(live, reason);
      const safeToResend = notDelivered(error) || info.safety === 'read_only';
      if (tries === 0 && safeToResend) continue;
      return {
        content: showServerWords(
          source.server,
          [
            `[The connection to MCP server "${source.server}" was lost during ${info.name}; it is reconnecting. ` +
              `The call ${safeToResend ? 'was not run' : 'may or may not have run'}: check before repeating it. The reason below may quote the server]`,
          ],
          reason,
        ),
        isError: true,
      };
    } finally {
      context.signal.removeEventListener('abort', forward);
    }
  }
}
