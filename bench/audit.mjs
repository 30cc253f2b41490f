#!/usr/bin/env node
// The audit chain (issue 13): the cost of an append (each one its own committed transaction in
// .oxydra/kernel.db, as an agent's tool calls make them) amortised over 100,000 entries with
// realistic tool-call data, and the cost of verifying the whole 100,000-entry chain (every
// hash recomputed, every link checked). Targets: append <= 0.1 ms, verify <= 1 s.
// Baseline in the same run: a plain INSERT of the same row without hashing or linking.
// --max-entries below --entries measures appends in the pruning regime; --grouped appends as an
// agent's spawn/exit/result entries are (committed with the others of their tick: here a block
// of 200 per commit, as 200 concurrent agents make them).
// Usage: node bench/audit.mjs [--entries 100000] [--verifies 5] [--max-entries N] [--grouped]
//        (needs `npm run build`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KernelAudit } from '../packages/kernel/dist/services/audit/audit-log.js';
import { openKernelDb } from '../packages/kernel/dist/store/kernel-db.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    verifies: { type: 'string', default: '5' },
    'max-entries': { type: 'string' },
    grouped: { type: 'boolean', default: false },
  },
});
const entries = Number(values.entries);
const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-audit-'));
try {
  const db = await openKernelDb(dir);
  const maxEntries = Number(values['max-entries'] ?? entries);
  const audit = await KernelAudit.open(dir, db, { maxEntries });
  const options = values.grouped ? { grouped: true } : {};
  const tools = ['file_read', 'file_write', 'shell_exec', 'web_fetch'];
  const baseline = db.prepare('INSERT INTO audit_meta (key, value) VALUES (?, ?)');
  // Interleaved blocks of 1,000: chain appends, then the same number of plain inserts.
  const appendMs = [];
  const plainMs = [];
  for (let block = 0; block < entries / 1000; block++) {
    let start = performance.now();
    for (let i = 0; i < 1000; i++) {
      const n = block * 1000 + i;
      const tool = tools[n % tools.length];
      audit.record(
        `agent:ag-${n % 7}`,
        n % 2 ? 'tool_result' : 'tool_call',
        {
          tool,
          call: `call_${n}`,
          args: JSON.stringify({ path: `src/module-${n % 500}/file-${n}.ts`, offset: n }),
        },
        tool,
        options,
      );
      if (values.grouped && i % 200 === 199) await audit.chain.committed();
    }
    if (values.grouped) await audit.chain.committed();
    appendMs.push((performance.now() - start) / 1000);
    start = performance.now();
    for (let i = 0; i < 1000; i++) baseline.run(`plain-${block}-${i}`, `src/module-${i}/file-${block}.ts`);
    plainMs.push((performance.now() - start) / 1000);
    if (block % 20 === 19) process.stderr.write(`  appended ${(block + 1) * 1000} entries\n`);
  }
  const verifyMs = [];
  let report;
  for (let i = 0; i < Number(values.verifies); i++) {
    const start = performance.now();
    report = audit.chain.verify(await audit.anchors());
    verifyMs.push(performance.now() - start);
  }
  db.close();
  const append = summarize(appendMs);
  const plain = summarize(plainMs);
  const verify = summarize(verifyMs);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'audit-chain',
        entries,
        max_entries: maxEntries,
        grouped: values.grouped,
        append_ms_per_entry: append,
        plain_insert_ms_per_row_baseline: plain,
        append_vs_plain_insert: Math.round((append.median_ms / plain.median_ms) * 100) / 100,
        verify_whole_chain_ms: verify,
        verify_ok: report.ok,
        targets: { append_ms: 0.1, verify_ms: 1000 },
        met: append.median_ms <= 0.1 && verify.median_ms <= 1000,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
