/** The small parts on their own: the token bucket, the live-session registry. */
import { join } from 'node:path';
import { Admission, type SpawnSpec, sessionAccess } from '@oxydra/kernel';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayHub } from '../src/hub.js';
import type { LiveSession, Subscriber } from '../src/live-sessions.js';
import { TokenBucket } from '../src/rate-limit.js';
import { spawnTurn, type TurnSpawner } from '../src/turn-spawn.js';
import { DEFAULT_LIMITS } from '../src/types.js';

describe('spawnTurn', () => {
  it("asks a stateless turn's run for no audit head (nobody is shown it), a session turn's for one", () => {
    const specs: SpawnSpec[] = [];
    const agents = {
      spawn: (spec: SpawnSpec) => {
        specs.push(spec);
        return {} as ReturnType<TurnSpawner['spawn']>;
      },
    };
    const signal = new AbortController().signal;
    const turn = { userId: 'u', agentName: 'default', prompt: 'hi', attachments: [], signal };
    spawnTurn(agents, turn);
    spawnTurn(agents, { ...turn, sessionId: 's' });
    expect(specs.map((spec) => [spec.persist, spec.auditHead])).toEqual([
      [false, false],
      [undefined, undefined],
    ]);
  });
});

describe('TokenBucket', () => {
  it('allows the burst, refills at the rate, and counts refusals in a row', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, { now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(bucket.refusedInARow).toBe(2);
    now += 100; // one token
    expect(bucket.take()).toBe(true);
    expect(bucket.refusedInARow).toBe(0);
    expect(bucket.take()).toBe(false);
    now += 10_000; // never more than the burst
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('the live-session registry', () => {
  let memory: MemoryDatabase | undefined;
  let scratch: TempWorkspace;
  let dir: string | undefined;
  afterEach(async () => {
    await memory?.close();
    if (dir) scratch.cleanup();
  });

  it('keeps one live object per session even when one was evicted while a client attached', async () => {
    scratch = tempWorkspace({ prefix: 'oxydra-gateway-hub-' });
    dir = scratch.dir;
    memory = await openMemory({ path: join(dir, 'memory.db') });
    const hub = new GatewayHub({
      store: memory.sessions,
      access: sessionAccess(() => memory?.sessions),
      admission: new Admission(DEFAULT_LIMITS.maxConcurrentTurnsPerUser),
      // The registry is tested alone: no turn runs, so nothing answers turns or approvals.
      spawner: {
        spawn: () => {
          throw new Error('no turn runs in this test');
        },
      },
      approvals: { respond: () => false, pending: () => [] },
      agents: [],
      limits: DEFAULT_LIMITS,
      log: () => {},
      clock: { now: () => Date.now() },
    });
    const subscriber = (): Subscriber => ({ sendText: () => {}, sessionDeleted: () => {}, approves: false });
    const stale: LiveSession = await hub.createSession('alice');
    hub.registry.release(stale); // idle: evicted, as a disconnect or the idle sweep would
    const fresh = await hub.resumeSession('alice', stale.id);
    expect(fresh).not.toBe(stale);
    const a = await hub.subscribe(fresh, subscriber());
    const b = await hub.subscribe(stale, subscriber()); // a client still holding the old object
    expect(b).toBe(a);
    expect(a.subscribers.size).toBe(2);
    expect(hub.registry.get(stale.id)).toBe(a);
  });
});
