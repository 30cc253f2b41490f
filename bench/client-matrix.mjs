#!/usr/bin/env node
// The client matrix of issue 31 (client x call x failure point -> model calls, tool runs, what
// the client saw), at each client's default settings against the real gateway binary. It is not
// a timing: the counts are exact, so the matrix is asserted by
// packages/cli/test/gateway-client-matrix-e2e.test.ts; this runs that test in full (LangChain's
// cells failing before any tool included, ~6 minutes) and prints the rows as JSON and a table.
// Usage: node bench/client-matrix.mjs [--out file.json]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(mkdtempSync(join(tmpdir(), 'oxydra-client-matrix-')), 'matrix.json');
const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    'packages/cli/test/gateway-client-matrix-e2e.test.ts',
  ],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OXYDRA_CLIENT_MATRIX: 'full', OXYDRA_CLIENT_MATRIX_OUT: out },
  },
);
const rows = JSON.parse(readFileSync(out, 'utf8'));
console.log(JSON.stringify({ bench: 'client-matrix', testsPassed: vitest.status === 0, rows }, null, 2));
console.error(
  '\n| failure | client | call | model calls | tool runs | client saw |\n|---|---|---|---|---|---|',
);
for (const row of rows) {
  console.error(
    `| ${row.failure} | ${row.client} | ${row.call} | ${row.modelCalls} | ${row.toolRuns} | ${row.result.kind} |`,
  );
}
process.exitCode = vitest.status === 0 ? 0 : 1;
