/**
 * The approvals queue's live feed (GET /api/v1/events `admin_approval`): announcements of what
 * this gateway did, expiry found when the earliest request is due, decisions made elsewhere (the
 * terminal) found by the periodic check, and no work at all while nobody listens.
 */
import type { AdminApproval } from '@oxydra/kernel/admin';
import { AdminApprovalFeed, type ApprovalChange } from '@oxydra/kernel/admin';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const HOUR = 60 * 60 * 1000;

/** A queue like the kernel's: list() is what is pending and not yet expired; get() says expired. */
class FakeQueue {
  rows = new Map<string, AdminApproval>();
  lists = 0;
  add(id: string, expiresInMs: number): AdminApproval {
    const approval: AdminApproval = {
      id,
      operation: { op: 'budget_set', target: { user: 'alice' }, key: 'daily_usd', value: 5 },
      requestedBy: 'token:owner',
      requestedAt: new Date(Date.now()).toISOString(),
      expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
      status: 'pending',
    };
    this.rows.set(id, approval);
    return approval;
  }
  decide(id: string, status: 'approved' | 'rejected', by: string): AdminApproval {
    const decided = { ...this.rows.get(id)!, status, decidedBy: by, decidedAt: new Date().toISOString() };
    this.rows.set(id, decided);
    return decided;
  }
  #now(a: AdminApproval): AdminApproval {
    return a.status === 'pending' && Date.parse(a.expiresAt) <= Date.now() ? { ...a, status: 'expired' } : a;
  }
  list = async (): Promise<AdminApproval[]> => {
    this.lists += 1;
    return [...this.rows.values()].map((a) => this.#now(a)).filter((a) => a.status === 'pending');
  };
  get = async (id: string): Promise<AdminApproval | undefined> => {
    const row = this.rows.get(id);
    return row ? this.#now(row) : undefined;
  };
}

let queue: FakeQueue;
let feed: AdminApprovalFeed;
let heard: ApprovalChange[];
const summary = () => heard.map((c) => `${c.type} ${c.approval.id}`);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  queue = new FakeQueue();
  feed = new AdminApprovalFeed(queue, { syncMs: 5000 });
  heard = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the approvals feed', () => {
  it('announces requests and decisions made here, once each', () => {
    const stop = feed.subscribe((change) => heard.push(change));
    const made = queue.add('ap-1', HOUR);
    feed.announce(made);
    feed.announce(made);
    feed.announce(queue.decide('ap-1', 'approved', 'token:bob'));
    expect(summary()).toEqual(['requested ap-1', 'approved ap-1']);
    expect(heard[1]!.approval.decidedBy).toBe('token:bob');
    stop();
  });

  it('says a request expired when its time runs out, without waiting for the periodic check', async () => {
    const stop = feed.subscribe((change) => heard.push(change));
    feed.announce(queue.add('ap-soon', 1000));
    feed.announce(queue.add('ap-later', 3000));
    await vi.advanceTimersByTimeAsync(999);
    expect(summary()).toEqual(['requested ap-soon', 'requested ap-later']);
    await vi.advanceTimersByTimeAsync(100);
    expect(summary().slice(2)).toEqual(['expired ap-soon']);
    expect(heard[2]!.approval.status).toBe('expired');
    // The next one is looked at when it is due (before the 5 s check).
    await vi.advanceTimersByTimeAsync(2000);
    expect(summary().slice(3)).toEqual(['expired ap-later']);
    stop();
  });

  it('finds requests made and decided elsewhere (the terminal) within the periodic check', async () => {
    queue.add('ap-old', HOUR);
    const stop = feed.subscribe((change) => heard.push(change));
    // The queue as it was when the first listener came is read asynchronously.
    await vi.advanceTimersByTimeAsync(0);
    // Pending before anyone listened: known, not announced again.
    queue.decide('ap-old', 'rejected', 'cli');
    queue.add('ap-new', HOUR);
    await vi.advanceTimersByTimeAsync(4999);
    expect(heard).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(summary()).toEqual(['rejected ap-old', 'requested ap-new']);
    expect(heard[0]!.approval.decidedBy).toBe('cli');
    stop();
  });

  it('does nothing while nobody listens, and stops when the last listener leaves', () => {
    feed.announce(queue.add('ap-1', 1000));
    vi.advanceTimersByTime(60_000);
    expect(queue.lists).toBe(0);
    const first = feed.subscribe((change) => heard.push(change));
    const second = feed.subscribe(() => {});
    expect(feed.listeners).toBe(2);
    first();
    first();
    expect(feed.listeners).toBe(1);
    second();
    const lists = queue.lists;
    vi.advanceTimersByTime(60_000);
    expect(queue.lists).toBe(lists);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps telling the others when one listener throws', () => {
    feed.subscribe(() => {
      throw new Error('a closed stream');
    });
    feed.subscribe((change) => heard.push(change));
    feed.announce(queue.add('ap-1', HOUR));
    expect(summary()).toEqual(['requested ap-1']);
  });
});
