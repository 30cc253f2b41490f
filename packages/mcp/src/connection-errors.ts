/**
 * What an MCP connection's failures mean: whether a request reached the server (so resending
 * could repeat an effect), whether an error is the connection's rather than an answer, and the
 * one line a health report or tool error shows for it.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** Errors that mean the request never reached the server: resending cannot repeat an effect. */
export function notDelivered(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404 || error.code === 400;
  if (error instanceof McpError) return false;
  if (!(error instanceof Error)) return false;
  if (error.message === 'Not connected') return true;
  const code =
    (error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EPIPE';
}

/** Errors of the connection rather than answers of the server. */
export function connectionError(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  if (error instanceof StreamableHTTPError) return true;
  if (error instanceof TypeError && (error.message === 'fetch failed' || error.cause !== undefined))
    return true;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return error.message === 'Not connected' || code === 'EPIPE' || code === 'ECONNRESET';
  }
  return false;
}

export const messageOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
};

export function firstLine(text: string, max = 300): string {
  const line = text.trim().split('\n').filter(Boolean).at(-1) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** `promise`, or a rejection with `message` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
