/**
 * Several real processes on one database file: concurrent appends to one session, and a
 * writer killed with SIGKILL in the middle of its work. Children run the compiled package.
 */
import { randomInt } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MemoryDatabase, openMemory, type StoredEvent } from '../src/index.js';
import { expectCleanExit, spawnChild, startTogether, type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
let dbPath: string;
beforeEach(() => {
  tmp = tempDir();
  dbPath = tmp.path('shared.db');
});
afterEach(() => tmp.cleanup());

async function withMemory<T>(work: (memory: MemoryDatabase) => Promise<T>): Promise<T> {
  const memory = await openMemory({ path: dbPath });
  try {
    return await work(memory);
  } finally {
    await memory.close();
  }
}

/** Events grouped by their turn column, in seq order. */
function byTurn(events: StoredEvent[]): StoredEvent[][] {
  const turns: StoredEvent[][] = [];
  for (const event of events) {
    const last = turns.at(-1);
    if (last && last[0]?.turn === event.turn) last.push(event);
    else turns.push([event]);
  }
  return turns;
}

const contentOf = (event: StoredEvent) => String(event.message.content);

describe('two processes appending to one session', () => {
  it('loses no turn, keeps seqs contiguous and unique, and keeps each turn together', async () => {
    const TURNS = 40;
    const sessionId = await withMemory(async (memory) => (await memory.sessions.create({ id: 'shared' })).id);
    const workers = [1, 2];
    const children = await startTogether(
      workers.map((w) => ['append', dbPath, sessionId, String(w), String(TURNS)]),
    );
    await Promise.all(children.map(expectCleanExit));

    const events = await withMemory((memory) => memory.sessions.loadEvents(sessionId));
    // What each worker wrote (see workerTurn in fixtures/store-child.mjs).
    const sizeOf = (worker: number, turn: number) => 1 + ((turn * 7 + worker) % 5);
    const total = workers.reduce(
      (sum, w) => sum + Array.from({ length: TURNS }, (_, t) => sizeOf(w, t)).reduce((a, b) => a + b),
      0,
    );
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const turns = byTurn(events);
    expect(turns.map((t) => t[0]?.turn)).toEqual(Array.from({ length: 2 * TURNS }, (_, i) => i + 1));
    const nextTurnOf = new Map(workers.map((w) => [w, 0]));
    for (const turn of turns) {
      const [worker, number] = contentOf(turn[0]!).split(':').map(Number) as [number, number];
      // Each worker's turns arrive in its own order, none missing or repeated.
      expect(number).toBe(nextTurnOf.get(worker));
      nextTurnOf.set(worker, number + 1);
      const size = sizeOf(worker, number);
      expect(turn.map(contentOf)).toEqual(
        Array.from({ length: size }, (_, i) => `${worker}:${number}:${i}/${size}`),
      );
    }
    for (const worker of workers) expect(nextTurnOf.get(worker)).toBe(TURNS);
    // Both really ran at once: each worker waits for the other to have turn - 1 turns before
    // appending turn `turn`, so one worker's turns can follow each other at most 4 times.
    const order = turns.map((t) => contentOf(t[0]!).split(':')[0]);
    const runs = order.reduce<number[]>((acc, w, i) => {
      if (i > 0 && w === order[i - 1]) acc[acc.length - 1]! += 1;
      else acc.push(1);
      return acc;
    }, []);
    expect(Math.max(...runs)).toBeLessThanOrEqual(4);
  });
});

describe('a writer killed with SIGKILL mid-turn', () => {
  it('leaves a consistent database with only whole turns, every committed turn kept, and the session continuing', async () => {
    const PER_TURN = 150;
    const sessionId = await withMemory(async (memory) => (await memory.sessions.create({ id: 'victim' })).id);
    let committedSoFar = 0;
    // poll-ok: each round pauses a random moment before its kill, to land it anywhere in a turn.
    for (let round = 0; round < 3; round++) {
      const child = spawnChild(['append-forever', dbPath, sessionId, String(PER_TURN), '2000']);
      await child.nextLine('ready');
      // Let a few turns commit, then kill at a random moment of the next ones.
      const wanted = randomInt(1, 4);
      let lastCommitted = 0;
      for (let i = 0; i < wanted; i++)
        lastCommitted = Number((await child.nextLine('committed ')).split(' ')[1]);
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 15)));
      child.process.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      // Lines printed after the last one we read were committed too.
      for (const line of child.lines) {
        if (line.startsWith('committed '))
          lastCommitted = Math.max(lastCommitted, Number(line.split(' ')[1]));
      }

      await withMemory(async (memory) => {
        expect((await memory.client.execute('PRAGMA integrity_check')).rows[0]?.[0]).toBe('ok');
        expect((await memory.client.execute('PRAGMA foreign_key_check')).rows).toEqual([]);
        const events = await memory.sessions.loadEvents(sessionId);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
        const turns = byTurn(events);
        const appendedHere = turns.filter((t) => contentOf(t[0]!).startsWith('kill:'));
        // Every turn is whole: PER_TURN messages, labelled 0..PER_TURN-1 of the same turn.
        for (const turn of appendedHere) {
          expect(turn).toHaveLength(PER_TURN);
          const label = contentOf(turn[0]!).split(':')[1];
          expect(turn.map((e) => contentOf(e).split(':').slice(1, 3).join(':'))).toEqual(
            Array.from({ length: PER_TURN }, (_, i) => `${label}:${i}/${PER_TURN}`),
          );
        }
        // Nothing the child saw committed was lost (it printed after commit returned).
        expect(turns.length).toBeGreaterThanOrEqual(lastCommitted);
        expect(turns.length).toBeGreaterThan(committedSoFar);
        // The session goes on: seq and turn continue from the last whole turn.
        const next = await memory.sessions.appendTurn(sessionId, [
          { role: 'user', content: `after round ${round}` },
        ]);
        expect(next).toEqual({
          turn: turns.length + 1,
          firstSeq: events.length + 1,
          lastSeq: events.length + 1,
          createdAt: expect.any(String),
        });
        committedSoFar = next.turn;
      });
    }
  });
});

describe('a session deleted in one process and made again in another', () => {
  it('gets another stamp generation even within the same millisecond (and the same rowid)', async () => {
    const at = Date.parse('2026-01-02T03:04:05.006Z');
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    try {
      const before = await withMemory(async (memory) => {
        await memory.sessions.create({ id: 'again' });
        const stamp = await memory.sessions.stamp('again');
        await memory.sessions.delete('again');
        return stamp;
      });
      const child = spawnChild(['create-at', dbPath, 'again', String(at)]);
      const generation = (await child.nextLine('result ')).slice('result '.length);
      await expectCleanExit(child);
      expect(generation).not.toBe(before?.generation);
      expect(await withMemory((memory) => memory.sessions.stamp('again'))).toMatchObject({ generation });
    } finally {
      vi.useRealTimers();
    }
  });
});
