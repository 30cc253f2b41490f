import { EditThrottle } from '@oxydra/channels';
import type { Clock } from '@oxydra/runtime';
import { describe, expect, it } from 'vitest';

/** A clock the test moves by hand; timers fire when it passes them. */
class FakeTimer implements Clock {
  time = 0;
  #timers: { at: number; run: () => void; id: number }[] = [];
  #ids = 0;
  now = () => this.time;
  setTimeout = (run: () => void, ms: number) => {
    const id = ++this.#ids;
    this.#timers.push({ at: this.time + ms, run, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  };
  async advance(ms: number): Promise<void> {
    this.time += ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      due.run();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup(interval = 1000, firstDelay = 0) {
  const timer = new FakeTimer();
  const edits: { at: number; text: string }[] = [];
  const errors: unknown[] = [];
  const throttle = new EditThrottle(
    async (text) => {
      edits.push({ at: timer.time, text });
    },
    interval,
    (error) => errors.push(error),
    timer,
    '…',
    firstDelay,
  );
  return { timer, edits, errors, throttle };
}

describe('EditThrottle', () => {
  it('edits at once, then at most once per interval, always with the newest text', async () => {
    const { timer, edits, throttle } = setup();
    throttle.update('a');
    await timer.advance(0);
    expect(edits).toEqual([{ at: 0, text: 'a' }]);
    throttle.update('ab');
    await timer.advance(300);
    throttle.update('abc');
    await timer.advance(300);
    expect(edits).toHaveLength(1); // still within the interval
    await timer.advance(400);
    expect(edits).toEqual([
      { at: 0, text: 'a' },
      { at: 1000, text: 'abc' },
    ]);
    for (let i = 1; i < edits.length; i++)
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('never sends the text the message shows already', async () => {
    const { timer, edits, throttle } = setup();
    throttle.update('…');
    await timer.advance(0);
    expect(edits).toEqual([]);
    throttle.update('x');
    await timer.advance(0);
    throttle.update('x');
    await timer.advance(2000);
    expect(edits.map((e) => e.text)).toEqual(['x']);
  });

  it('stop() drops the pending edit, sends nothing more and says how long the final edit must wait', async () => {
    const { timer, edits, throttle } = setup();
    throttle.update('a');
    await timer.advance(0);
    throttle.update('ab');
    await timer.advance(250);
    expect(throttle.waitMs()).toBe(750);
    await throttle.stop();
    throttle.update('abc');
    await timer.advance(5000);
    expect(edits.map((e) => e.text)).toEqual(['a']);
    expect(throttle.waitMs()).toBe(0);
  });

  it('waits firstDelayMs before the first edit: an answer done by then is left to one final edit, at once', async () => {
    const quick = setup(1000, 250);
    quick.throttle.update('a');
    await quick.timer.advance(100);
    quick.throttle.update('ab');
    await quick.timer.advance(100);
    // Done within the delay: no streamed edit, and the final one need not wait.
    await quick.throttle.stop();
    expect(quick.edits).toEqual([]);
    expect(quick.throttle.waitMs()).toBe(0);

    const slow = setup(1000, 250);
    slow.timer.time = 5000;
    slow.throttle.update('a');
    await slow.timer.advance(249);
    expect(slow.edits).toEqual([]);
    slow.throttle.update('ab');
    await slow.timer.advance(1);
    expect(slow.edits).toEqual([{ at: 5250, text: 'ab' }]);
    // Then the interval, from that first edit.
    slow.throttle.update('abc');
    await slow.timer.advance(999);
    expect(slow.edits).toHaveLength(1);
    await slow.timer.advance(1);
    expect(slow.edits.at(-1)).toEqual({ at: 6250, text: 'abc' });
  });

  it('reports a failed edit and goes on streaming', async () => {
    const timer = new FakeTimer();
    const errors: unknown[] = [];
    const shown: string[] = [];
    let fail = true;
    const throttle = new EditThrottle(
      async (text) => {
        if (fail) {
          fail = false;
          throw new Error('429');
        }
        shown.push(text);
      },
      1000,
      (error) => errors.push(error),
      timer,
    );
    throttle.update('one');
    await timer.advance(0);
    throttle.update('two');
    await timer.advance(1000);
    expect(errors.map((e) => (e as Error).message)).toEqual(['429']);
    expect(shown).toEqual(['two']);
  });
});
