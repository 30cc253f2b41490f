/**
 * An A2A JSON-RPC answer as a client may see it (docs/security.md, G37): the SDK puts any error's
 * message in a -32603 "internal error", and that message may name a store's URL with its password
 * or a file path. The route passes every answer and every mapped error through
 * withoutInternalDetail, which sends such a message to the gateway's log and tells the client only
 * where it went. (The request that once reached this from outside, a body nested 2,000 levels
 * deep, is now refused before the SDK sees it: gateway-run-error-doors.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { withoutInternalDetail } from '../src/a2a/route.js';
import type { GatewayLogger } from '../src/index.js';

function recordingLog(): { log: GatewayLogger; lines: string[] } {
  const lines: string[] = [];
  return {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    lines,
  };
}

describe('withoutInternalDetail', () => {
  it("replaces an internal error's message with where its details went, and logs the message", () => {
    const { log, lines } = recordingLog();
    const leaked = 'could not reach postgres://app:hunter2@db.internal/app';
    const answer = withoutInternalDetail(
      { jsonrpc: '2.0', id: 7, error: { code: -32603, message: leaked, data: { kept: true } } },
      log,
    ) as { id: number; error: { code: number; message: string; data: unknown } };
    expect(answer.id).toBe(7);
    expect(answer.error.code).toBe(-32603);
    expect(answer.error.data).toEqual({ kept: true });
    expect(answer.error.message).toMatch(/internal error in the gateway/);
    expect(JSON.stringify(answer)).not.toContain('hunter2');
    expect(lines.join('\n')).toContain('hunter2');
  });

  it("leaves the protocol's own errors and successful answers as they are", () => {
    const { log, lines } = recordingLog();
    const notFound = { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Task not found: t-1' } };
    const result = { jsonrpc: '2.0', id: 2, result: { kind: 'task', id: 't-2' } };
    expect(withoutInternalDetail(notFound, log)).toBe(notFound);
    expect(withoutInternalDetail(result, log)).toBe(result);
    expect(lines).toEqual([]);
  });
});
