/**
 * The usage log and kernel.costs: every priced call is one row (its agent, user, session,
 * provider, model, tokens and dollars; summaries and embeddings under their own kind), and the
 * report groups them by UTC day, agent, model, user or session, counting calls of unknown
 * price apart instead of as $0. Retention prunes by age and count.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ControlStoreGroup, ControlStores, StoredUsage } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import Database from 'libsql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kernelDbPath, openKernelDb } from '../src/exports/workspace.js';
import { type Kernel, openServices } from '../src/index.js';
import { UsageLog } from '../src/services/budgets/accounts.js';
import { costCalls } from '../src/services/usage/cost-report.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';
import { closeAll, ON_POSTGRES, testKernel } from './helpers.js';
import { runLongSession, summarizingKernel } from './summary-scenario.js';
import { tempFolders } from './temp-folders.js';

afterEach(closeAll);

interface UsageRow {
  kind: string;
  agent_id: string | null;
  agent_name: string | null;
  user_id: string;
  session_id: string | null;
  provider: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
}

/** The rows in the database (a report first writes those the kernel still holds in memory). */
async function usageRows(kernel: Kernel, workspace: string): Promise<UsageRow[]> {
  await (await kernel.service('costs')).report();
  const db = new Database(kernelDbPath(workspace), { readonly: true });
  try {
    return db.prepare('SELECT * FROM usage_log ORDER BY id').all() as UsageRow[];
  } finally {
    db.close();
  }
}

// gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
const usd = (input: number, output: number) => (input * 0.15 + output * 0.6) / 1e6;

describe('the usage log', () => {
  // libSQL only: reads the usage log from kernel.db, the libSQL file
  it.skipIf(ON_POSTGRES)(
    'records one row per model call with its agent, user, session, model, tokens and cost',
    async () => {
      const { kernel, workspace } = await testKernel([
        {
          reply: {
            toolCalls: [{ name: 'file_list', arguments: { path: '.' } }],
            usage: { input: 1000, output: 20 },
          },
        },
        { reply: { text: 'Nothing here.', usage: { input: 1200, output: 5 } } },
      ]);
      const handle = kernel.agents.spawn({ prompt: 'what is here?', userId: 'alice' });
      const result = await handle.result;
      expect(result.status).toBe('completed');
      const rows = await usageRows(kernel, workspace);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row).toMatchObject({
          kind: 'model',
          agent_id: handle.id,
          agent_name: 'default',
          user_id: 'alice',
          session_id: result.sessionId,
          provider: 'mock',
          model: 'gpt-4o-mini',
        });
      }
      expect(rows.map((row) => [row.input_tokens, row.output_tokens])).toEqual([
        [1000, 20],
        [1200, 5],
      ]);
      expect(rows[0]!.cost_usd).toBeCloseTo(usd(1000, 20), 12);
      expect(rows[1]!.cost_usd).toBeCloseTo(usd(1200, 5), 12);

      const report = await (await kernel.service('costs')).report({ by: 'model' });
      expect(report.rows).toEqual([
        {
          key: 'mock/gpt-4o-mini',
          calls: 2,
          input_tokens: 2200,
          output_tokens: 25,
          cache_read_tokens: 0,
          cost_usd: expect.closeTo(usd(2200, 25), 12),
          unknown_cost_calls: 0,
        },
      ]);
      expect(report.totals.calls).toBe(2);
    },
  );

  it('groups by agent, user and session, and counts calls of unknown price apart', async () => {
    const { kernel } = await testKernel(
      [{ reply: { text: 'done', usage: { input: 100, output: 10 } }, times: 'always' }],
      {
        // A model the catalog has no price for (as a local server's): its calls' cost is unknown.
        catalog: { skip_catalog_validation: true },
        agents: { cheap: { selection: { model: 'llama3.2' } } },
      } as never,
    );
    const runs = [
      kernel.agents.spawn({ prompt: 'one', userId: 'alice' }),
      kernel.agents.spawn({ prompt: 'two', userId: 'alice' }),
      kernel.agents.spawn({ prompt: 'three', userId: 'bob', agent: 'cheap' }),
    ];
    const results = await Promise.all(runs.map((run) => run.result));
    expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);

    const byUser = await (await kernel.service('costs')).report({ by: 'user' });
    expect(byUser.rows.map((row) => [row.key, row.calls, row.unknown_cost_calls])).toEqual([
      ['alice', 2, 0],
      ['bob', 1, 1],
    ]);
    expect(byUser.rows[0]!.cost_usd).toBeCloseTo(2 * usd(100, 10), 12);
    expect(byUser.rows[1]!.cost_usd).toBe(0);
    expect(byUser.totals).toMatchObject({ calls: 3, unknown_cost_calls: 1, input_tokens: 300 });
    expect(byUser.totals.cost_usd).toBeCloseTo(2 * usd(100, 10), 12);

    const byAgent = await (await kernel.service('costs')).report({ by: 'agent' });
    expect(byAgent.rows.map((row) => [row.key, row.calls])).toEqual([
      ['default', 2],
      ['cheap', 1],
    ]);
    const byModel = await (await kernel.service('costs')).report({ by: 'model' });
    expect(byModel.rows.map((row) => row.key)).toEqual(['mock/gpt-4o-mini', 'mock/llama3.2']);
    const bySession = await (await kernel.service('costs')).report({ by: 'session' });
    expect(bySession.rows.map((row) => row.key).sort()).toEqual(results.map((r) => r.sessionId!).sort());
    expect((await (await kernel.service('costs')).report({ by: 'user', userId: 'bob' })).totals.calls).toBe(
      1,
    );
  });

  // libSQL only: reads the usage log from kernel.db, the libSQL file
  it.skipIf(ON_POSTGRES)(
    'records summaries and embedding requests under their own kind, model and user',
    async () => {
      const { kernel, workspace } = await summarizingKernel();
      await runLongSession(kernel);
      // Memory indexes a turn in the background after its answer: its embedding calls may
      // still be under way when the last turn returns.
      const rows = await pollUntil(async () => {
        const read = await usageRows(kernel, workspace);
        return read.some((row) => row.kind === 'embedding') && read;
      }, 'an embedding call in the usage log');
      const kinds = new Set(rows.map((row) => row.kind));
      expect(kinds).toEqual(new Set(['model', 'summary', 'embedding']));
      const summary = rows.find((row) => row.kind === 'summary')!;
      expect(summary).toMatchObject({
        agent_name: 'default',
        user_id: 'gus',
        provider: 'mock',
        model: 'gpt-4o-mini',
      });
      expect(summary.cost_usd).toBeCloseTo(usd(50_000, 1_000), 12);
      const embedding = rows.find((row) => row.kind === 'embedding')!;
      expect(embedding).toMatchObject({
        agent_name: null,
        user_id: 'gus',
        provider: 'mock',
        session_id: null,
      });
      expect(embedding.model).toContain('text-embedding-3-small');
      const byAgent = await (await kernel.service('costs')).report({ by: 'agent' });
      expect(byAgent.rows.map((row) => row.key).sort()).toEqual(['(embedding)', 'default']);
    },
  );
});

describe("kernel.service('costs')", () => {
  const { folder: workspace } = tempFolders('oxydra-costs-');

  it('buckets days in UTC and applies since, until and the user filter', async () => {
    const dir = workspace();
    const db = await openKernelDb(dir);
    let now = Date.parse('2026-11-01T23:30:00Z');
    const log = new UsageLog(db, { retentionDays: 400, maxRows: 1000, now: () => now });
    const call = (userId: string, costUsd?: number) =>
      log.record(
        'model',
        { userId, agentName: 'default', provider: 'p', model: 'm' },
        { inputTokens: 10, outputTokens: 1, ...(costUsd !== undefined ? { costUsd } : {}) },
      );
    call('alice', 0.5);
    now = Date.parse('2026-11-02T00:30:00Z');
    call('alice', 0.25);
    call('bob');
    now = Date.parse('2026-11-03T12:00:00Z');
    call('bob', 1);
    await log.close();
    db.close();

    const services = await openServices({
      workspace: dir,
      config: agentConfigSchema.parse({
        selection: { provider: 'p', model: 'm' },
        providers: { registry: { p: { provider_type: 'openai' } } },
        memory: { enabled: false },
      }),
    });
    try {
      const days = await (await services.service('costs')).report({ by: 'day' });
      expect(days.rows.map((row) => [row.key, row.calls, row.cost_usd, row.unknown_cost_calls])).toEqual([
        ['2026-11-01', 1, 0.5, 0],
        ['2026-11-02', 2, 0.25, 1],
        ['2026-11-03', 1, 1, 0],
      ]);
      const window = await (await services.service('costs')).report({
        by: 'day',
        since: '2026-11-02T00:00:00Z',
        until: new Date('2026-11-03T00:00:00Z'),
      });
      expect(window.rows.map((row) => row.key)).toEqual(['2026-11-02']);
      expect(window.since).toBe('2026-11-02T00:00:00.000Z');
      expect(
        (await (await services.service('costs')).report({ by: 'day', userId: 'bob' })).totals,
      ).toMatchObject({
        calls: 2,
        cost_usd: 1,
        unknown_cost_calls: 1,
      });
      await expect(
        async () => await (await services.service('costs')).report({ since: 'last tuesday' }),
      ).rejects.toThrow(/not a date/);
      await expect(
        async () => await (await services.service('costs')).report({ by: 'week' as never }),
      ).rejects.toThrow(/use one of day, agent/);
    } finally {
      await services.close();
    }
  });

  it('holds rows until a settle writes a full batch, the timer fires, or a report reads', async () => {
    vi.useFakeTimers();
    const db = await openKernelDb(workspace());
    try {
      const log = new UsageLog(db, { retentionDays: 400, maxRows: 1000, batch: 4, maxDelayMs: 1000 });
      const count = () => (db.prepare('SELECT COUNT(*) FROM usage_log').raw(true).get() as [number])[0];
      const control = asyncControlStores(db);
      // A settle enters its row inside its transaction of the control stores.
      const settle = () => control.transaction((tx) => log.recordIn(tx, 'model', {}, { inputTokens: 1 }));
      for (let i = 0; i < 3; i++) await settle();
      expect(count()).toBe(0);
      await settle();
      expect(count()).toBe(4);
      await settle();
      await vi.advanceTimersByTimeAsync(999);
      expect(count()).toBe(4);
      await vi.advanceTimersByTimeAsync(1);
      expect(count()).toBe(5);
      log.record('model', {}, { inputTokens: 1 });
      expect((await costCalls(control.usage, () => log.flush()).report()).totals.calls).toBe(6);
    } finally {
      vi.useRealTimers();
      db.close();
    }
  });

  it("a report waits for the rows a flush already under way took (PostgreSQL's commit is a round trip away)", async () => {
    vi.useFakeTimers();
    try {
      // A store whose commits wait for `commit()`, as a remote database's do: rows are seen once committed.
      const committed: StoredUsage[] = [];
      let commit!: () => void;
      const commitGate = new Promise<void>((resolve) => {
        commit = resolve;
      });
      const stores = {
        usage: { insert: async () => {}, prune: async () => 0 },
        async transaction<T>(fn: (tx: ControlStores) => Promise<T>): Promise<T> {
          const staged: StoredUsage[] = [];
          const usage = {
            insert: async (rows: StoredUsage[]) => {
              staged.push(...rows);
            },
            prune: async () => 0,
          };
          const result = await fn({ usage } as unknown as ControlStores);
          await commitGate;
          committed.push(...staged);
          return result;
        },
      } as unknown as ControlStoreGroup;
      const log = new UsageLog(undefined as never, {
        retentionDays: 400,
        maxRows: 1000,
        maxDelayMs: 1000,
        stores,
      });
      log.record('model', {}, { inputTokens: 1 });
      // The timer's flush takes the row and waits on its commit.
      await vi.advanceTimersByTimeAsync(1000);
      let reported = false;
      const report = log.flush().then(() => {
        reported = true;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(reported).toBe(false);
      commit();
      await report;
      expect(committed).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('prunes rows past the retention and beyond the row limit', async () => {
    const db = await openKernelDb(workspace());
    try {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const writer = new UsageLog(db, { retentionDays: 30, maxRows: 1_000_000, now: () => now });
      for (let i = 0; i < 5; i++) writer.record('model', {}, { inputTokens: i });
      await writer.flush();
      now = Date.parse('2026-03-01T00:00:00Z');
      // A new process's first row prunes: January's are past 30 days.
      const later = new UsageLog(db, { retentionDays: 30, maxRows: 3, now: () => now });
      for (let i = 0; i < 5; i++) later.record('model', {}, { inputTokens: 100 + i });
      await later.flush();
      expect((await costCalls(asyncControlStores(db).usage).report()).totals).toMatchObject({
        calls: 5,
        input_tokens: 510,
      });
      expect(await later.prune()).toBe(2);
      const left = db.prepare('SELECT input_tokens FROM usage_log ORDER BY id').raw(true).all();
      expect(left).toEqual([[102], [103], [104]]);
    } finally {
      db.close();
    }
  });
});
