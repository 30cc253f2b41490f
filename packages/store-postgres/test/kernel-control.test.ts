/**
 * Kernels on PostgreSQL's control stores (`openKernel({ stores: { control } })`): a turn's audit
 * entries, spend and usage land in PostgreSQL (not in the workspace's kernel.db) and the chain
 * verifies; two kernels on one schema racing a calls cap never pass it together; a token made
 * through one kernel is accepted by another. Each test has its own schema, dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kernel, openKernel } from '@oxydra/kernel';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import { type ScriptedReply, scriptedAdapters, scriptedProvider } from '@oxydra/testkit';
import type { AgentConfigInput } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import Database from 'libsql';
import { afterEach, expect, it } from 'vitest';
import { adminQuery, describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh schema with its stores; dropped after the test. */
async function freshStores(): Promise<{ schema: string; stores: PostgresStores }> {
  const schema = freshSchema();
  const stores = await openPostgresStores({ url: POSTGRES_URL, schema });
  cleanups.push(async () => {
    await stores.close();
    await dropSchema(schema);
  });
  return { schema, stores };
}

/** Another pool on `schema`, as another process (or gateway) would open it. */
async function anotherPool(schema: string): Promise<PostgresStores> {
  const stores = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
  cleanups.push(() => stores.close());
  return stores;
}

/** A kernel on its own workspace whose control stores are `stores.control`, answering `replies`. */
async function kernelOn(
  stores: PostgresStores,
  replies: ScriptedReply[],
  config: AgentConfigInput = {},
): Promise<{ kernel: Kernel; workspace: string }> {
  const workspace = mkdtempSync(join(tmpdir(), 'oxydra-pg-kernel-'));
  const kernel = await openKernel({
    workspace,
    config: agentConfigSchema.parse({
      selection: { provider: 'openai', model: 'gpt-4o-mini' },
      providers: { registry: { openai: { provider_type: 'openai' } } },
      memory: { enabled: false },
      tools: { approval: 'auto', sandbox: { mode: 'none' } },
      ...config,
    }),
    host: 'test',
    env: {
      OPENAI_API_KEY: 'sk-pg-kernel-0123456789',
      HOME: workspace,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    },
    adapters: scriptedAdapters(scriptedProvider(replies)),
    stores: { control: stores.control },
    warn: () => {},
  });
  cleanups.push(async () => {
    await kernel.close();
    rmSync(workspace, { recursive: true, force: true });
  });
  return { kernel, workspace };
}

const count = async (schema: string, table: string, where = 'true') =>
  Number(
    (await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.${table} WHERE ${where}`))[0]!.n,
  );

describePostgres('kernels on PostgreSQL control stores', () => {
  it("keeps a turn's audit entries, spend and usage in PostgreSQL, and the chain verifies", async () => {
    const { schema, stores } = await freshStores();
    const { kernel, workspace } = await kernelOn(stores, [
      {
        toolCalls: [{ name: 'file_write', arguments: { path: 'note.txt', content: 'hello' } }],
        usage: { inputTokens: 100, outputTokens: 10 },
      },
      { text: 'Written.', usage: { inputTokens: 120, outputTokens: 3 } },
    ]);
    const result = await kernel.agents.spawn({ prompt: 'write a note', userId: 'alice' }).result;
    expect(result).toMatchObject({ status: 'completed', text: 'Written.', turns: 2 });
    expect(result.auditHead?.seq).toBeGreaterThan(0);

    const audit = await kernel.service('audit');
    const types = (await audit.list()).map((entry) => entry.action.type);
    expect(types).toEqual(expect.arrayContaining(['agent_spawn', 'tool_call', 'tool_result', 'agent_exit']));
    // Stored in the schema, as the kernel lists them, and linked as one chain.
    expect(await count(schema, 'audit_log')).toBe(types.length);
    // The head the turn handed out is an entry of the schema's chain.
    const head = await adminQuery<{ hash: string }>(`SELECT hash FROM ${schema}.audit_log WHERE seq = $1`, [
      result.auditHead!.seq,
    ]);
    expect(head.map((row) => row.hash)).toEqual([result.auditHead!.hash]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: types.length });

    // Spend and usage rows of the two model calls, committed with the tick's group commit.
    await kernel.close();
    const spend = await adminQuery<{ calls: string; tokens: string; usd: number }>(
      `SELECT calls, tokens, usd FROM ${schema}.budget_spend WHERE scope = 'user:alice' AND period LIKE 'day:%'`,
    );
    expect(spend.map((row) => Number(row.calls))).toEqual([2]);
    expect(Number(spend[0]!.tokens)).toBe(233);
    expect(spend[0]!.usd).toBeGreaterThan(0);
    expect(await count(schema, 'usage_log', `user_id = 'alice' AND kind = 'model'`)).toBe(2);

    // Nothing of it went to the workspace's own kernel.db.
    const local = new Database(join(workspace, '.oxydra', 'kernel.db'), { readonly: true });
    try {
      const rows = (table: string) =>
        (local.prepare(`SELECT COUNT(*) FROM ${table}`).raw(true).get() as [number])[0];
      expect([rows('audit_log'), rows('budget_spend'), rows('usage_log')]).toEqual([0, 0, 0]);
    } finally {
      local.close();
    }
  });

  it('never lets two kernels on one schema pass a calls cap together', async () => {
    const { schema, stores } = await freshStores();
    const other = await anotherPool(schema);
    const cap: AgentConfigInput = { budgets: { agents: { default: { calls_per_window: 3 } } } };
    const reply = [{ text: 'done', usage: { inputTokens: 10, outputTokens: 1 } }];
    const [one, two] = await Promise.all([kernelOn(stores, reply, cap), kernelOn(other, reply, cap)]);
    const results = await Promise.all(
      [one, two, one, two, one, two, one, two].map(
        ({ kernel }, i) => kernel.agents.spawn({ prompt: `task ${i}`, userId: `u${i}` }).result,
      ),
    );
    const completed = results.filter((result) => result.status === 'completed');
    expect(completed).toHaveLength(3);
    const refused = results.filter((result) => result.status !== 'completed');
    for (const result of refused) expect(result.error?.code).toBe('budget_exceeded');
    await Promise.all([one.kernel.close(), two.kernel.close()]);
    const calls = await adminQuery<{ calls: string }>(
      `SELECT calls FROM ${schema}.budget_spend WHERE scope = 'agent:default' AND period LIKE 'window:%'`,
    );
    expect(calls.map((row) => Number(row.calls))).toEqual([3]);
    expect(await count(schema, 'budget_reservations')).toBe(0);
  });

  it('accepts a token made through one kernel in another, and refuses it once revoked', async () => {
    const { schema, stores } = await freshStores();
    const other = await anotherPool(schema);
    const [one, two] = await Promise.all([kernelOn(stores, []), kernelOn(other, [])]);
    const made = await (await one.kernel.service('tokens')).add('alice', 'user', 'laptop', 'test');
    const tokens = await two.kernel.service('tokens');
    expect(await tokens.authenticate(made.token)).toEqual({ tokenId: made.id, role: 'user', user: 'alice' });
    expect((await tokens.list()).map((token) => token.id)).toEqual([made.id]);
    expect(await (await one.kernel.service('tokens')).revoke(made.id, 'test')).toBe(true);
    expect(await tokens.authenticate(made.token)).toBeUndefined();
    // Both changes are audit entries of the schema's one chain.
    const entries = await adminQuery<{ action_type: string }>(
      `SELECT action_type FROM ${schema}.audit_log ORDER BY seq`,
    );
    expect(entries.map((entry) => entry.action_type)).toEqual(['token_add', 'token_revoke']);
  });
});
