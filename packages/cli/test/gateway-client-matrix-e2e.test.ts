/**
 * Issue 31, item 1: no client re-runs a turn that failed after a tool ran, and one request
 * failing before any tool costs a bounded number of model calls. Every cell of the client
 * matrix (client-matrix.ts: the openai SDK, the AI SDK's three OpenAI models, LangChain with
 * and without the Responses API, each whole and streamed) runs against the real gateway binary
 * at the client's default settings; the tool's side effect is counted in a file.
 *
 * OXYDRA_CLIENT_MATRIX_OUT=<file> writes every row as JSON (bench/client-matrix.mjs does, for
 * the table in docs/gateway.md). OXYDRA_CLIENT_MATRIX=full adds LangChain's cells failing before any
 * tool: its default policy (6 retries with backoff) spends ~95 s a cell, too long for CI; its
 * row is in docs/gateway.md from that run.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CELLS, type MatrixRow, runCell } from './client-matrix.js';

const rows: MatrixRow[] = [];
afterAll(() => {
  const out = process.env.OXYDRA_CLIENT_MATRIX_OUT;
  // In the matrix's order (the cells before any tool finish in any order, side by side).
  const order = (row: MatrixRow) =>
    (row.failure === 'after a tool ran' ? 0 : CELLS.length) +
    CELLS.findIndex((cell) => cell.client === row.client && cell.call === row.call);
  rows.sort((a, b) => order(a) - order(b));
  if (out) writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
});

const label = (cell: { client: string; call: string }) => `${cell.client} ${cell.call}`;

describe('after a tool ran, no client runs the turn again and every client raises the failure', () => {
  it.each(CELLS.map((cell) => [label(cell), cell] as const))('%s', async (_name, cell) => {
    const row = await runCell(cell, 'after a tool ran');
    rows.push(row);
    expect(row.result).toMatchObject({
      kind: 'error',
      message: expect.stringContaining("the agent's turn failed after its tools ran"),
    });
    expect(row.toolRuns).toBe(1);
    // The tool call, then the failing call and the provider policy's 2 retries: nothing more.
    expect(row.modelCalls).toBe(4);
  });
});

const LANGCHAIN_BEFORE = CELLS.filter((cell) => cell.client.startsWith('@langchain'));
const beforeCells =
  process.env.OXYDRA_CLIENT_MATRIX === 'full'
    ? CELLS
    : CELLS.filter((cell) => !LANGCHAIN_BEFORE.includes(cell));

// Side by side (three at a time, vitest.config.ts): the AI SDK's cells spend most of their ~2.5 s
// idle in the client's own retry backoff, and each cell has a gateway and a mock of its own. The
// cells after a tool ran stay one at a time: each is bound by its gateway's start, so side by side
// they would only share the cores. Its own `expect`: a concurrent test's assertions are its own.
describe.concurrent('before any tool, a failure costs a bounded number of model calls', () => {
  it.for(beforeCells.map((cell) => [label(cell), cell] as const))(
    '%s',
    { timeout: 180_000 },
    async ([_name, cell], { expect }) => {
      const row = await runCell(cell, 'before any tool');
      rows.push(row);
      expect(row.result.kind).toBe('error');
      expect(row.toolRuns).toBe(0);
      if (cell.client === 'openai') {
        // The gateway already retried (3 attempts) and says x-should-retry: false, which the
        // openai SDK honours: 3 model calls, not its 3 tries times the gateway's 3.
        expect(row.modelCalls).toBe(3);
      } else if (cell.client.startsWith('ai ')) {
        // The AI SDK retries any 5xx twice whatever the headers say: at most 3 x 3.
        expect(row.modelCalls).toBeGreaterThanOrEqual(3);
        expect(row.modelCalls).toBeLessThanOrEqual(9);
      } else {
        // LangChain: 7 tries, until the provider's circuit breaker opens (5 failed calls).
        expect(row.modelCalls).toBeLessThanOrEqual(21);
      }
    },
  );
});
