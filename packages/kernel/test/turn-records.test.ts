/**
 * The turn record's compare-and-set writes (turn-records.ts) on a real memory database, as two
 * gateway processes of a deployment meet them: a process taken for dead finishes its turn after
 * the reaper marked it failed and the session's next turn started elsewhere.
 */
import { join } from 'node:path';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTurnRecord, writeTurnRecord } from '../src/services/turn-records.js';

let scratch: TempWorkspace;
let dir: string;
let db: MemoryDatabase;
let sessionId: string;

beforeEach(async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-turn-records-' });
  dir = scratch.dir;
  db = await openMemory({ path: join(dir, 'memory.db') });
  sessionId = (await db.sessions.create()).id;
});

afterEach(async () => {
  await db.close();
  scratch.cleanup();
});

describe('writeTurnRecord', () => {
  it('a late end of a reaped turn leaves the next turn’s record alone', async () => {
    // Process B starts turn 1 and keeps the epoch it wrote.
    const bEpoch = await writeTurnRecord(
      db.sessions,
      sessionId,
      { turn_id: 't1', index: 1, state: 'running' },
      null,
    );
    // B stalls: the reaper marks turn 1 failed, then turn 2 starts on process A.
    let { epoch } = await readTurnRecord(db.sessions, sessionId);
    epoch = await writeTurnRecord(
      db.sessions,
      sessionId,
      { turn_id: 't1', index: 1, state: 'failed' },
      epoch,
    );
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't2', index: 2, state: 'running' }, epoch);
    // B wakes and ends turn 1 with its old epoch.
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't1', index: 1, state: 'completed' }, bEpoch);
    expect((await readTurnRecord(db.sessions, sessionId)).record).toEqual({
      turn_id: 't2',
      index: 2,
      state: 'running',
    });
  });

  it('the end of a turn still lands over its own record written by another process', async () => {
    const bEpoch = await writeTurnRecord(
      db.sessions,
      sessionId,
      { turn_id: 't1', index: 1, state: 'running' },
      null,
    );
    // The reaper marked it failed, and no turn came after: the late end is the truth now.
    const { epoch } = await readTurnRecord(db.sessions, sessionId);
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't1', index: 1, state: 'failed' }, epoch);
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't1', index: 1, state: 'completed' }, bEpoch);
    expect((await readTurnRecord(db.sessions, sessionId)).record?.state).toBe('completed');
  });

  it('a new turn’s start lands over an older turn’s record whatever epoch it knew', async () => {
    const stale = await writeTurnRecord(
      db.sessions,
      sessionId,
      { turn_id: 't1', index: 1, state: 'running' },
      null,
    );
    const { epoch } = await readTurnRecord(db.sessions, sessionId);
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't1', index: 1, state: 'completed' }, epoch);
    await writeTurnRecord(db.sessions, sessionId, { turn_id: 't2', index: 2, state: 'running' }, stale);
    expect((await readTurnRecord(db.sessions, sessionId)).record?.turn_id).toBe('t2');
  });
});
