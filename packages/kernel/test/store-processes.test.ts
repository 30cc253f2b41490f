/**
 * The kernel database's stores shared by real processes (as two gateways share one database):
 * processes appending to the audit chain at once extend one chain (the store links each batch
 * after the head it reads under the write lock), and processes reserving against one cap at once
 * never pass it together (the spend store admits under the same lock).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KernelAudit } from '../src/services/audit/audit-log.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-store-processes-');
const dist = (path: string) => JSON.stringify(fileURLToPath(new URL(`../dist/${path}`, import.meta.url)));

/** Waits in a child until the start time the parent gave, so the children's work overlaps. */
const START = `const [dir, me, startAt] = process.argv.slice(1);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1));`;

/**
 * Runs `script` (an ES module, after START) as `count` processes that start their work at the
 * same moment; resolves to their stdout.
 */
async function together(count: number, script: string, dir: string): Promise<string[]> {
  const startAt = String(Date.now() + 2000);
  const runs = Array.from({ length: count }, (_, index) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, dir, String(index), startAt],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    return new Promise<string>((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`child ${index}: ${err}`)),
      ),
    );
  });
  return Promise.all(runs);
}

describe('kernel stores shared by processes', () => {
  it('extends one audit chain from three processes appending at once', async () => {
    const dir = scratch.folder();
    const script = `
      const { KernelAudit } = await import(${dist('services/audit/audit-log.js')});
      const { openKernelDb } = await import(${dist('store/kernel-db.js')});
      const audit = await KernelAudit.open(process.argv[1], await openKernelDb(process.argv[1]), { maxEntries: 100000 });
      ${START}
      for (let i = 0; i < 150; i++) {
        audit.record('agent:' + me, 'tool_call', { i }, '', { grouped: i % 3 !== 0 });
        if (i % 5 === 0) await pause();
      }
      await audit.chain.committed();
      process.stdout.write('done');
    `;
    expect(await together(3, script, dir)).toEqual(['done', 'done', 'done']);
    const audit = await KernelAudit.open(dir, await scratch.open(dir), { maxEntries: 100000 });
    expect(await audit.chain.verify()).toMatchObject({ ok: true, entries: 450, first: 1, last: 450 });
    for (const me of ['0', '1', '2']) {
      const mine = (await audit.chain.list({ agent: me })).map((entry) => entry.action.data.i);
      expect(mine).toEqual(Array.from({ length: 150 }, (_, i) => i));
    }
  });

  it('lets processes racing for the last calls under a cap take exactly the cap', async () => {
    const dir = scratch.folder();
    // Three processes, six calls each, against a cap of 5 model calls per window.
    const script = `
      const { SpendingLedger } = await import(${dist('services/budgets/spending.js')});
      const { openKernelDb } = await import(${dist('store/kernel-db.js')});
      const ledger = new SpendingLedger(await openKernelDb(process.argv[1]), { windowSecs: 3600 });
      ${START}
      const cap = { scope: 'agent:default', key: 'calls_per_window', limit: 5, source: 'test', origin: 'explicit' };
      let held = 0;
      for (let i = 0; i < 6; i++) {
        try {
          await ledger.reserve([cap], ['agent:default'], 0.01);
          held += 1;
        } catch (error) {
          if (error.code !== 'budget_exceeded') throw error;
        }
        await pause();
      }
      process.stdout.write(String(held));
    `;
    const held = (await together(3, script, dir)).map(Number);
    expect(held.reduce((sum, count) => sum + count, 0)).toBe(5);
  });
});
