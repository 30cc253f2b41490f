/**
 * A workspace's data written through the real stores and the kernel's audit chain, for the
 * `oxydra store copy` tests: sessions (a sub-agent's among them) with tool-call turns and state,
 * notes, kernel state, tokens, approvals, schedules with runs, some hundreds of audit entries,
 * spend, caps and usage. And every record of a set of transfers, to compare two copies.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KernelAudit } from '@oxydra/kernel/audit';
import { asyncControlStores, kernelTransfer, openKernelDb } from '@oxydra/kernel/stores';
import { memoryTransfer, openMemory } from '@oxydra/memory';
import { type Message, type StoreTransfer, TRANSFER_TABLES, type TransferRecord } from '@oxydra/types';

export const AUDIT_ENTRIES = 320;

const turn = (n: number): Message[] => [
  { role: 'user', content: `question ${n}` },
  {
    role: 'assistant',
    content: '',
    toolCalls: [{ id: `call-${n}`, name: 'file_read', arguments: { path: `f${n}.txt` } }],
  },
  { role: 'tool', toolCallId: `call-${n}`, toolName: 'file_read', content: `contents ${n}` },
  { role: 'assistant', content: `answer ${n}` },
];

/** Fills the workspace's memory file (.oxydra/memory.db, the default) and kernel database. */
export async function populateWorkspace(workspace: string): Promise<void> {
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  const memory = await openMemory({ path: join(workspace, '.oxydra', 'memory.db') });
  try {
    const parent = await memory.sessions.create({ title: 'parent', userId: 'alice', agent: 'default' });
    for (let n = 0; n < 3; n++) await memory.sessions.appendTurn(parent.id, turn(n));
    const child = await memory.sessions.create({
      parentSessionId: parent.id,
      userId: 'alice',
      channelOrigin: 'gateway',
    });
    await memory.sessions.appendTurn(child.id, turn(9));
    await memory.sessions.archive(child.id);
    for (let s = 0; s < 6; s++) {
      const session = await memory.sessions.create({ userId: s % 2 ? 'bob' : 'alice' });
      for (let n = 0; n <= s; n++) await memory.sessions.appendTurn(session.id, turn(n));
    }
    await memory.sessions.create({ title: 'empty' });
    await memory.sessions.setState(parent.id, 'summary', 'so far', null);
    await memory.sessions.setState(parent.id, 'summary', 'further', 1);
    for (let n = 0; n < 5; n++) {
      const note = await memory.notes.save({
        content: `note ${n}`,
        tags: [`t${n % 2}`, 'shared'],
        userId: 'alice',
      });
      if (n === 2) await memory.notes.update(note.id, { content: 'note 2, changed' });
    }
    await memory.state.save('plans', 'today', { steps: [1, 2, 3] });
    await memory.state.save('plans', 'today', { steps: [1, 2, 3, 4] });
    await memory.state.save('plans', 'tomorrow', 'rest');
  } finally {
    await memory.close();
  }

  const db = await openKernelDb(workspace);
  try {
    const control = asyncControlStores(db);
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 9, minute)).toISOString();
    for (let n = 0; n < 3; n++) {
      await control.tokens.insert({
        id: `tok-${n}`,
        digest: `${n}`.repeat(64),
        userId: n === 0 ? 'alice' : 'bob',
        role: n === 0 ? 'admin' : 'user',
        label: `token ${n}`,
        createdAt: at(n),
        pending: n === 2,
      });
    }
    await control.tokens.revoke('tok-1', at(10));
    for (let n = 0; n < 2; n++) {
      await control.approvals.insert({
        id: `appr-${n}`,
        op: 'budget_set',
        params: { scope: 'user:bob', usd: n + 1 },
        requestedBy: 'alice',
        requestedAt: at(n),
        expiresAt: at(50),
      });
    }
    await control.approvals.decide('appr-0', { status: 'approved', decidedBy: 'carol', decidedAt: at(5) });
    const schedule = {
      id: 'sched-1',
      userId: 'alice',
      name: 'daily',
      agent: null,
      prompt: 'report',
      kind: 'cron',
      spec: '0 9 * * *',
      timezone: 'UTC',
      enabled: true,
      nextRunAt: 1_000,
      anchorAt: 0,
      consecutiveFailures: 0,
      disabledReason: null,
      runToken: 'tok-0',
      directive: '{"constraints":[],"acceptance_criteria":["file: report.md exists"]}',
      createdBy: 'cli',
      createdAt: 1,
      updatedAt: 1,
    };
    await control.schedules.insert(schedule);
    await control.schedules.insert({
      ...schedule,
      id: 'sched-2',
      name: 'weekly',
      enabled: false,
      nextRunAt: null,
    });
    const run = { scheduleId: 'sched-1', userId: 'alice', missed: 0, leaseOwner: 'gw-1', leaseUntil: 9_000 };
    await control.schedules.claim(
      { ...run, id: 'run-1', dueAt: 1_000, trigger: 'schedule', startedAt: 1_001 },
      2_000,
    );
    await control.schedules.finish('run-1', 'gw-1', {
      status: 'completed',
      finishedAt: 1_500,
      agentId: 'a1',
      sessionId: null,
      output: 'done',
      error: null,
      turns: 2,
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 0.25,
      specOutcome: '{"passed":true,"attempts":1,"results":[]}',
    });
    await control.schedules.startManual({
      ...run,
      id: 'run-2',
      dueAt: 1_700,
      trigger: 'manual',
      startedAt: 1_700,
    });
    await control.spend.setCap('user:alice', 'daily_usd', 5);
    await control.spend.reserve(
      {
        id: 'res-1',
        usd: 0.5,
        targets: [{ scope: 'user:alice', period: 'day:2026-11-25' }],
        expiresAt: 9e12,
      },
      0,
      [],
      () => {},
    );
    await control.spend.settle(
      [],
      [{ scope: 'user:alice', period: 'day:2026-11-25', usd: 1.5, tokens: 300, calls: 2 }],
    );
    await control.usage.insert(
      [0, 1, 2].map((n) => ({
        ts: 1_000 + n,
        kind: 'model' as const,
        agentId: 'a1',
        agentName: 'default',
        userId: 'alice',
        sessionId: null,
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 10 * n,
        outputTokens: 5,
        cacheReadTokens: 0,
        costUsd: n === 2 ? null : 0.01,
      })),
    );
    const audit = await KernelAudit.open(workspace, db, { maxEntries: 100_000 });
    for (let n = 0; n < AUDIT_ENTRIES; n++) audit.record(`agent:a${n % 3}`, 'tool_call', { n }, 'file_read');
    await audit.chain.committed();
  } finally {
    db.close();
  }
}

/** Every record of every table the transfers hold, by table, in each table's order. */
export async function allRecords(
  transfers: readonly StoreTransfer[],
): Promise<Record<string, TransferRecord[]>> {
  const all: Record<string, TransferRecord[]> = {};
  for (const { name } of TRANSFER_TABLES) {
    const holder = transfers.find((t) => t.tables.includes(name));
    if (!holder) continue;
    const records: TransferRecord[] = [];
    for (let after: readonly (string | number)[] | undefined; ; ) {
      const page = await holder.read(name, after, 100);
      records.push(...page.records);
      if (page.records.length < 100) break;
      after = page.last;
    }
    all[name] = records;
  }
  return all;
}

/** A workspace's two libSQL files as the copy sees them (transfers) and as the check reads them. */
export async function openWorkspaceStores(workspace: string) {
  const memory = await openMemory({ path: join(workspace, '.oxydra', 'memory.db') });
  const db = await openKernelDb(workspace);
  return {
    transfers: [
      memoryTransfer(memory.client, `libsql:${workspace}/memory`),
      kernelTransfer(db, `libsql:${workspace}/kernel`),
    ],
    sessions: memory.sessions,
    notes: memory.notes,
    control: asyncControlStores(db),
    async close() {
      await memory.close();
      db.close();
    },
  };
}
