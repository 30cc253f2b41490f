/**
 * The gateway's A2A task store: each token's tasks apart; bounded by count and by weight, the
 * oldest finished tasks forgotten first and running ones kept; ListTasks filters and pages.
 */
import type { Task } from '@a2a-js/sdk';
import { ServerCallContext } from '@a2a-js/sdk/server';
import { describe, expect, it } from 'vitest';
import { BoundedTaskStore } from '../src/a2a/task-store.js';

const as = (token: string) => new ServerCallContext({ user: { isAuthenticated: true, userName: token } });
const owner = (context: ServerCallContext) => context.user?.userName ?? 'unknown';

const task = (id: string, state: number, contextId = 'c', text = ''): Task => ({
  id,
  contextId,
  status: {
    state,
    message: undefined,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(id.slice(1)))).toISOString(),
  },
  artifacts: text
    ? [
        {
          artifactId: 'answer',
          name: '',
          description: '',
          parts: [
            { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: '' },
          ],
          metadata: undefined,
          extensions: [],
        },
      ]
    : [],
  history: [],
  metadata: undefined,
});

const COMPLETED = 3;
const WORKING = 2;

describe('BoundedTaskStore', () => {
  it("keeps each token's tasks apart", async () => {
    const store = new BoundedTaskStore(owner);
    await store.save(task('t1', COMPLETED), as('alice'));
    expect(await store.load('t1', as('alice'))).toBeDefined();
    expect(await store.load('t1', as('bob'))).toBeUndefined();
    expect(
      (
        await store.list(
          { tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined },
          as('bob'),
        )
      ).tasks,
    ).toEqual([]);
  });

  it('forgets the oldest finished tasks past the count, never a running one', async () => {
    const store = new BoundedTaskStore(owner, 3);
    await store.save(task('t1', WORKING), as('a'));
    for (const id of ['t2', 't3', 't4', 't5']) await store.save(task(id, COMPLETED), as('a'));
    expect(store.size).toBe(3);
    expect(await store.load('t1', as('a')), 'running: kept').toBeDefined();
    expect(await store.load('t2', as('a'))).toBeUndefined();
    expect(await store.load('t3', as('a'))).toBeUndefined();
    expect(await store.load('t5', as('a'))).toBeDefined();
  });

  it('forgets finished tasks past the weight, and counts a re-saved task once', async () => {
    const store = new BoundedTaskStore(owner, 100, 5_000);
    await store.save(task('t1', COMPLETED, 'c', 'x'.repeat(3_000)), as('a'));
    await store.save(task('t1', COMPLETED, 'c', 'x'.repeat(3_000)), as('a'));
    expect(store.bytes).toBeLessThan(5_000);
    await store.save(task('t2', COMPLETED, 'c', 'y'.repeat(3_000)), as('a'));
    expect(await store.load('t1', as('a'))).toBeUndefined();
    expect(await store.load('t2', as('a'))).toBeDefined();
    expect(store.bytes).toBeLessThan(5_000);
  });

  it('lists newest first, filtered by context and state, in pages', async () => {
    const store = new BoundedTaskStore(owner);
    await store.save(task('t1', COMPLETED, 'x'), as('a'));
    await store.save(task('t2', WORKING, 'x'), as('a'));
    await store.save(task('t3', COMPLETED, 'y'), as('a'));
    await store.save(task('t4', COMPLETED, 'x', 'answer'), as('a'));
    const base = {
      tenant: '',
      contextId: 'x',
      status: COMPLETED,
      pageToken: '',
      statusTimestampAfter: undefined,
    };
    const first = await store.list({ ...base, pageSize: 1 }, as('a'));
    expect(first.tasks.map((t) => t.id)).toEqual(['t4']);
    expect(first.tasks[0]?.artifacts, 'artifacts only when asked').toEqual([]);
    expect(first.totalSize).toBe(2);
    const second = await store.list(
      { ...base, pageSize: 1, pageToken: first.nextPageToken, includeArtifacts: true },
      as('a'),
    );
    expect(second.tasks.map((t) => t.id)).toEqual(['t1']);
    expect(second.nextPageToken).toBe('');
  });
});
