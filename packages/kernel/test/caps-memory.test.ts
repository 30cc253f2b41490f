/**
 * The kernel's memory of caps (services/budgets/spending.ts's CapsMemory) over stores that tell of changes
 * differently: one that offers no watchCaps is read at every call, one that says it is deaf
 * drops what it kept and keeps nothing until it listens again, and a value is kept no longer
 * than CAPS_MAX_AGE_MS even when nothing is told. (Over the real stores: budget-group-commit.test.ts
 * for libSQL, store-postgres's caps-memory.test.ts for PostgreSQL.)
 */
import type { CapsNews } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { CAPS_MAX_AGE_MS, CapsMemory } from '../src/services/budgets/spending.js';

const SCOPE = 'agent:default';

/** A store's caps read: counts its calls and answers `value()`. */
function counted(value: () => Record<string, number>) {
  const read = async () => {
    read.calls++;
    return value();
  };
  read.calls = 0;
  return read;
}

describe('CapsMemory', () => {
  it('reads a store that tells nothing at every call', async () => {
    const memory = new CapsMemory();
    memory.follow({});
    const read = counted(() => ({ daily_usd: 2 }));
    expect(await memory.get(SCOPE, read)).toEqual({ daily_usd: 2 });
    expect(await memory.get(SCOPE, read)).toEqual({ daily_usd: 2 });
    expect(read.calls).toBe(2);
  });

  it('keeps while the store listens, drops and reads while deaf, never past its age', async () => {
    let now = 0;
    const memory = new CapsMemory(() => now);
    let tell: (news: CapsNews) => void = () => {};
    const stop = memory.follow({
      watchCaps: (listener) => {
        tell = listener;
        return () => {};
      },
    });
    const read = counted(() => ({ daily_usd: 1 }));
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(1); // not listening yet: nothing kept
    tell('listening');
    await memory.get(SCOPE, read);
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(2);
    tell('deaf');
    await memory.get(SCOPE, read);
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(4);
    tell('listening');
    await memory.get(SCOPE, read);
    now += CAPS_MAX_AGE_MS - 1;
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(5);
    now += 1;
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(6);
    // Stopped following: as if deaf.
    stop();
    await memory.get(SCOPE, read);
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(8);
  });

  it('kept() answers what get() would without reading, and undefined whenever get() would read', async () => {
    let now = 0;
    const memory = new CapsMemory(() => now);
    let tell: (news: CapsNews) => void = () => {};
    memory.follow({
      watchCaps: (listener) => {
        tell = listener;
        return () => {};
      },
    });
    const read = counted(() => ({ daily_usd: 1 }));
    expect(memory.kept(SCOPE)).toBeUndefined();
    tell('listening');
    expect(memory.kept(SCOPE)).toBeUndefined(); // nothing read yet
    const got = await memory.get(SCOPE, read);
    expect(memory.kept(SCOPE)).toBe(got);
    expect(await memory.get(SCOPE, read)).toBe(got);
    expect(read.calls).toBe(1);
    now += CAPS_MAX_AGE_MS;
    expect(memory.kept(SCOPE)).toBeUndefined(); // too old: get() reads
    await memory.get(SCOPE, read);
    expect(read.calls).toBe(2);
    tell('deaf');
    expect(memory.kept(SCOPE)).toBeUndefined();
  });
});
