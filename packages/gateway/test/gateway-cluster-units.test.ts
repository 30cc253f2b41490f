/**
 * The cluster's hot paths on their own (issue 33), with the bus and the cluster store in memory
 * (their PostgreSQL versions are tested in store-postgres and end to end in
 * packages/cli/test/gateway-cluster-e2e.test.ts): presence (a session's frames, and the live
 * feed, go on the bus only while another process has a client of them), /readyz answered from
 * the last beats, and
 * relayed frames read for their type before any parse.
 */

import { Admission, type Kernel, type KernelEvent } from '@oxydra/kernel';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ClusterProcess, ClusterStore, EventBus } from '@oxydra/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFeedRelay } from '../src/cluster/feed-relay.js';
import { type ClusterHost, GatewayCluster } from '../src/cluster/gateway-cluster.js';
import { FEED_TOPIC, type FeedMessage, type SessionMessage } from '../src/cluster/messages.js';
import { PresenceTable } from '../src/cluster/presence-table.js';
import { frameType } from '../src/frame-type.js';
import { LiveSession } from '../src/live-sessions.js';

type Handler = (data: string, from: string) => void;

/** Buses of one network hear each other's messages, in order, a macrotask later (as over a socket). */
function memoryNetwork() {
  const buses = new Set<MemoryBus>();
  class MemoryBus implements EventBus {
    readonly handlers = new Map<string, Set<Handler>>();
    /** How many times check() was called, and whether it fails. */
    checks = 0;
    checkFails = false;
    constructor(readonly processId: string) {
      buses.add(this);
    }
    async publish(topic: string, data: string): Promise<void> {
      for (const bus of buses) {
        if (bus === this) continue;
        setImmediate(() => {
          for (const handler of bus.handlers.get(topic) ?? []) handler(data, this.processId);
        });
      }
    }
    subscribe(topic: string, handler: Handler): () => void {
      const set = this.handlers.get(topic) ?? new Set();
      this.handlers.set(topic, set);
      set.add(handler);
      return () => set.delete(handler);
    }
    async check(): Promise<void> {
      this.checks++;
      if (this.checkFails) throw new Error('no ping came back');
    }
    async close(): Promise<void> {
      buses.delete(this);
    }
  }
  return MemoryBus;
}

/** The processes' beats and nothing else: no run is claimed in these tests. */
function memoryClusterStore(): ClusterStore {
  const beats = new Map<string, number>();
  return {
    async beat(process) {
      const fresh = !beats.has(process.id);
      beats.set(process.id, Date.now());
      return fresh;
    },
    async processes(withinMs) {
      const now = Date.now();
      return [...beats]
        .filter(([, at]) => now - at <= withinMs)
        .map(
          ([id, at]): ClusterProcess => ({
            id,
            kind: 'gateway',
            host: 'test',
            pid: 1,
            startedAt: new Date(at).toISOString(),
            beatAt: new Date(at).toISOString(),
          }),
        );
    },
    claim: async () => ({ ok: true }),
    release: async () => true,
    reap: async () => [],
    async leave(processId) {
      beats.delete(processId);
    },
    runs: async () => [],
  };
}

interface Member {
  cluster: GatewayCluster;
  bus: EventBus & { checks: number; checkFails: boolean };
  delivered: SessionMessage[];
}

const started: GatewayCluster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((cluster) => cluster.stop()));
});

async function member(
  Bus: ReturnType<typeof memoryNetwork>,
  store: ClusterStore,
  id: string,
  timing: { beatMs: number; staleMs: number } = { beatMs: 60_000, staleMs: 180_000 },
): Promise<Member> {
  const bus = new Bus(id);
  const delivered: SessionMessage[] = [];
  const host: ClusterHost = {
    deliver: (message) => {
      delivered.push(message);
      return undefined;
    },
    control: () => {},
    interrupted: async () => {},
  };
  const cluster = new GatewayCluster(
    { store, bus, process: { id, host: 'test', pid: 1 }, ...timing },
    host,
    new Admission(10),
    () => {},
  );
  await cluster.start();
  started.push(cluster);
  return { cluster, bus, delivered };
}

const frame = (type: string, turnId = 't1') =>
  JSON.stringify({
    type,
    payload: { session: { user_id: 'u', session_id: 's1' }, turn: { turn_id: turnId, index: 1 } },
  });

/** Lets every message sent so far arrive (the memory bus delivers a macrotask later). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('presence: frames go on the bus only while another process watches the session', () => {
  it("withholds a session's deltas until another process watches it, and again once it left", async () => {
    const Bus = memoryNetwork();
    const store = memoryClusterStore();
    const a = await member(Bus, store, 'a');
    const b = await member(Bus, store, 'b');

    // Nobody on B watches s1: of a turn, only its start and its end go on the bus.
    a.cluster.publishFrame('s1', frame('turn_started'), false);
    for (let i = 0; i < 10; i++) a.cluster.publishFrame('s1', frame('assistant_delta'), false);
    a.cluster.publishFrame('s1', frame('turn_completed'), false);
    await settle();
    expect(a.cluster.health().session_frames).toEqual({ published: 2, withheld: 10 });
    expect(b.delivered.map((m) => frameType(m.frame))).toEqual(['turn_started', 'turn_completed']);

    // A client of s1 attaches on B: once watch() resolves, A has taken it in, and every frame follows.
    await b.cluster.watch('s1');
    a.cluster.publishFrame('s1', frame('assistant_delta', 't2'), false);
    a.cluster.publishFrame('s2', frame('assistant_delta', 't9'), false); // a session B does not watch
    await settle();
    expect(b.delivered.map((m) => m.session_id)).toEqual(['s1', 's1', 's1']);
    expect(a.cluster.health().session_frames).toEqual({ published: 3, withheld: 11 });

    // Its last client left: the deltas stay on A again.
    b.cluster.unwatch('s1');
    await settle();
    a.cluster.publishFrame('s1', frame('assistant_delta', 't2'), false);
    expect(a.cluster.health().session_frames).toEqual({ published: 3, withheld: 12 });
  });

  it('a joining process learns at start what the running ones watch', async () => {
    const Bus = memoryNetwork();
    const store = memoryClusterStore();
    const b = await member(Bus, store, 'b');
    await b.cluster.watch('s1');
    const a = await member(Bus, store, 'a'); // joins after B's client attached
    a.cluster.publishFrame('s1', frame('assistant_delta'), false);
    await settle();
    expect(b.delivered).toHaveLength(1);
  });

  it('a process not heard for the stale limit watches nothing: nobody publishes for it', () => {
    let now = 1000;
    const presence = new PresenceTable(5000, () => now);
    presence.heard('b', { sessions: ['s1'] });
    expect(presence.watchedElsewhere('s1')).toBe(true);
    expect(presence.watchedElsewhere('s2')).toBe(false);
    now += 4000;
    presence.heard('c', { sessions: [] });
    expect(presence.alive().sort()).toEqual(['b', 'c']);
    now += 1001; // B silent for 5001 ms: dead; C heard 1001 ms ago
    expect(presence.watchedElsewhere('s1')).toBe(false);
    expect(presence.alive()).toEqual(['c']);
  });

  it('an ask waits for every process to answer, and no longer than its bound for a silent one', async () => {
    const presence = new PresenceTable(5000);
    const all = presence.answered('ask1', ['b', 'c'], 60_000);
    let settled = false;
    void all.then(() => {
      settled = true;
    });
    presence.heard('b', { sessions: [], answers: 'ask1' });
    presence.heard('c', { sessions: [], answers: 'other' }); // not an answer to this ask
    await settle();
    expect(settled).toBe(false);
    presence.heard('c', { sessions: ['s1'], answers: 'ask1' });
    expect(await all).toEqual([]);
    expect(await presence.answered('ask2', ['b', 'c'], 10)).toEqual(['b', 'c']);
  });
});

/**
 * The feed relay's side of a kernel: events pushed here are what its subscription yields; no
 * agent is known, so an exit renders as `{type, agent_id, status}` (feed-render.ts).
 */
function feedKernel() {
  const queued: KernelEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let seq = 0;
  const kernel = {
    agents: { get: () => undefined },
    subscribe: () => ({
      close() {
        closed = true;
        wake?.();
      },
      async *[Symbol.asyncIterator]() {
        while (!closed) {
          const next = queued.shift();
          if (next) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    }),
  } as unknown as Kernel;
  const exited = (agentId: string) => {
    queued.push({ seq: ++seq, agentId, event: { type: 'agent_exited', agentId, status: 'completed' } });
    wake?.();
  };
  return { kernel, exited };
}

describe('the live feed goes on the bus only while another process has a client of it', () => {
  it("sends none of a process's feed events until another process has a feed client, and none after it left", async () => {
    const Bus = memoryNetwork();
    const store = memoryClusterStore();
    const a = await member(Bus, store, 'a');
    const b = await member(Bus, store, 'b');
    const { kernel, exited } = feedKernel();
    const stopRelay = await startFeedRelay(kernel, a.cluster);
    // Every feed message A puts on the bus, whoever listens on B.
    const onBus: string[] = [];
    b.bus.subscribe(FEED_TOPIC, (text) => onBus.push(text));
    try {
      exited('agent-1');
      await settle();
      expect(onBus).toEqual([]);

      // A feed client on B: once onFeed resolves, A has heard of it and relays.
      const heard: FeedMessage[] = [];
      const stop = await b.cluster.onFeed((message) => heard.push(message));
      exited('agent-2');
      await pollUntil(() => heard.length === 1, 'the feed event of A on B');
      expect(heard[0]).toMatchObject({ name: 'agent', data: { type: 'agent_exited', agent_id: 'agent-2' } });
      expect(onBus).toHaveLength(1);

      // Its last client left: A keeps its feed again.
      stop();
      stop(); // twice is once
      await settle();
      exited('agent-3');
      await settle();
      expect(onBus).toHaveLength(1);
      expect(heard).toHaveLength(1);
    } finally {
      stopRelay();
    }
  });

  it('a process that says nothing of the feed (an earlier version) is relayed to; one that says no is not', () => {
    const presence = new PresenceTable(5000);
    presence.heard('c', { sessions: [], feed: false });
    expect(presence.feedWatchedElsewhere()).toBe(false);
    presence.heard('b', { sessions: [] });
    expect(presence.feedWatchedElsewhere()).toBe(true);
    presence.heard('b', { sessions: [], feed: false });
    expect(presence.feedWatchedElsewhere()).toBe(false);
    presence.heard('c', { sessions: [], feed: true });
    expect(presence.feedWatchedElsewhere()).toBe(true);
  });
});

describe('/readyz from the last beats', () => {
  it('makes no bus round trip per probe, and fails once the bus has not answered for the stale limit', async () => {
    const Bus = memoryNetwork();
    const store = memoryClusterStore();
    const quiet = await member(Bus, store, 'quiet');
    for (let i = 0; i < 20; i++) expect(quiet.cluster.health().ok).toBe(true);
    expect(quiet.bus.checks).toBe(0); // its beats (one a minute here) have not come yet

    const staleMs = 200;
    const beating = await member(Bus, store, 'beating', { beatMs: 20, staleMs });
    await pollUntil(() => beating.bus.checks > 0, 'a beat that checks the bus');
    beating.bus.checkFails = true;
    // A probe once the bus has been silent for the stale limit while the beats go on. Not the
    // first probe that is not ok: on a loaded machine a beat's timer can fire late too, and a
    // late beat is reported first, with its own reason.
    const failed = await pollUntil(() => {
      const health = beating.cluster.health();
      return health.bus_age_ms > staleMs && health.beat_age_ms <= staleMs && health;
    }, 'the bus silent for the stale limit while the beats go on');
    expect(failed.ok).toBe(false);
    expect(failed.reason).toMatch(/event bus has not answered for \d+ ms: no ping came back/);
    beating.bus.checkFails = false;
    await pollUntil(() => beating.cluster.health().ok, 'readyz to be ready again');
  });
});

describe('relayed frames', () => {
  it('are read for their type; only a turn start or end is parsed', () => {
    const live = new LiveSession('s1', 'u', 'default', { epoch: null });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      live.deliver(frame('turn_started'), false);
      expect(live.remote).toEqual({ turnId: 't1' });
      expect(parse).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 50; i++) live.deliver(frame('assistant_delta'), false);
      expect(parse).toHaveBeenCalledTimes(1);
      live.deliver(frame('turn_completed'), false);
      expect(parse).toHaveBeenCalledTimes(2);
      expect(live.remote).toBeUndefined();
      expect(live.lastTurn).toEqual({ turn_id: 't1', index: 1, state: 'completed' });
    } finally {
      parse.mockRestore();
    }
  });

  it('have their type read without a parse, and anything unusual is left to the parser', () => {
    expect(frameType('{"type":"assistant_delta","payload":{}}')).toBe('assistant_delta');
    expect(frameType('{"payload":{},"type":"turn_started"}')).toBeUndefined();
    expect(frameType('{"type":"turn_\\u0073tarted","payload":{}}')).toBeUndefined();
    expect(frameType('{"type":"unterminated')).toBeUndefined();
    expect(frameType('not json')).toBeUndefined();
  });
});
