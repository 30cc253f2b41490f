/**
 * The EventBus contract (@oxydra/types, issue 33 item 3): every engine runs these with several
 * buses on one shared engine, as several gateway processes would have. They pin what the users
 * of the bus rely on: delivery to the other processes on a topic and no other, never to the
 * sender, one publisher's order kept, messages up to 1 MiB intact whatever their characters
 * (an engine cutting them into pieces must put them back), a clear refusal of what cannot be
 * sent, unsubscribing, a handler that throws stopping nothing, check(), and close().
 *
 * "Nothing else arrived" is never waited for by time: a later message of the same publisher, or
 * check() on the receiving bus, is the point after which it would have.
 */
import { BUS_TOPIC, type EventBus } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll.js';
import { rejection } from './harness.js';

/** One engine shared by the buses of a test (a fresh database schema, a fresh server...). */
export interface BusEngine {
  /** Opens a bus for the process `processId`, as that process would (its own connections). */
  open(processId: string): Promise<EventBus>;
  /** Cleans the engine up after the test's buses are closed. */
  close(): Promise<void>;
}

export type BusEngineOpener = () => Promise<BusEngine>;

interface Received {
  data: string;
  from: string;
}

/** Subscribes and keeps what arrives. */
function collect(bus: EventBus, topic: string): Received[] {
  const received: Received[] = [];
  bus.subscribe(topic, (data, from) => received.push({ data, from }));
  return received;
}

function arrived(received: Received[], count: number, what: string): Promise<unknown> {
  return pollUntil(() => received.length >= count, `${count} message(s) ${what}`, { timeoutMs: 15_000 });
}

/** ~`bytes` of UTF-8 mixing 1-, 2-, 3- and 4-byte characters and text that breaks naive encoders. */
function multiByteText(bytes: number): string {
  const unit = `aé日🎉 "q" \\ \n\t {"f":"x"}\n ü \u200d\u0301e ключ `;
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))) + '!';
}

export function eventBusContract(open: BusEngineOpener): void {
  describe('EventBus contract', () => {
    let engine: BusEngine | undefined;
    let buses: EventBus[] = [];
    const bus = async (processId: string): Promise<EventBus> => {
      if (!engine) throw new Error('no engine is open outside a test');
      const opened = await engine.open(processId);
      buses.push(opened);
      return opened;
    };

    beforeEach(async () => {
      engine = await open();
    });
    afterEach(async () => {
      await Promise.all(buses.map((b) => b.close().catch(() => {})));
      buses = [];
      await engine?.close();
      engine = undefined;
    });

    it('delivers a message to another process subscribed to its topic, saying who sent it', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      expect(a.processId).toBe('proc_a');
      const received = collect(a, 'frames');
      await b.publish('frames', 'hello');
      await arrived(received, 1, 'from proc_b');
      expect(received).toEqual([{ data: 'hello', from: 'proc_b' }]);
    });

    it('keeps topics apart', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const one = collect(a, 'one');
      const two = collect(a, 'two');
      await b.publish('two', 'for two');
      await b.publish('one', 'for one');
      await b.publish('two', 'last');
      await arrived(two, 2, 'on topic two');
      expect(one.map((r) => r.data)).toEqual(['for one']);
      expect(two.map((r) => r.data)).toEqual(['for two', 'last']);
    });

    it('does not deliver a message to its sender', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const mine = collect(a, 'news');
      const theirs = collect(b, 'news');
      await a.publish('news', 'from a');
      await arrived(theirs, 1, 'at proc_b');
      // check() goes through the engine and back to a: a's own message would be in by then.
      await a.check();
      await b.publish('news', 'from b');
      await arrived(mine, 1, 'at proc_a');
      expect(mine).toEqual([{ data: 'from b', from: 'proc_b' }]);
      expect(theirs).toEqual([{ data: 'from a', from: 'proc_a' }]);
    });

    it("keeps one publisher's order over 200 quick messages", async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const received = collect(a, 'order');
      const sent = Array.from({ length: 200 }, (_, i) => `message ${i}`);
      await Promise.all(sent.map((data) => b.publish('order', data)));
      await arrived(received, 200, 'in order');
      expect(received.map((r) => r.data)).toEqual(sent);
    });

    it('delivers a 300 KB message of multi-byte characters intact, and two at once from two senders', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const c = await bus('proc_c');
      const received = collect(a, 'big');
      const big = multiByteText(300_000);
      expect(Buffer.byteLength(big)).toBeGreaterThan(300_000);
      await b.publish('big', big);
      await arrived(received, 1, 'the 300 KB message');
      expect(received[0]?.data === big).toBe(true);
      const fromB = `b:${multiByteText(100_000)}`;
      const fromC = `c:${multiByteText(120_000)}`;
      await Promise.all([b.publish('big', fromB), c.publish('big', fromC)]);
      await arrived(received, 3, 'both messages sent at once');
      const rest = received.slice(1).sort((x, y) => x.from.localeCompare(y.from));
      expect(rest.map((r) => r.from)).toEqual(['proc_b', 'proc_c']);
      expect(rest[0]?.data === fromB && rest[1]?.data === fromC).toBe(true);
    });

    it('delivers text holding NUL and every control character as sent, short and long', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const received = collect(a, 'controls');
      const controls = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f';
      const long = `${controls}é🎉`.repeat(2000); // ~80 KB, cut into pieces by an engine that must
      await b.publish('controls', controls);
      await b.publish('controls', long);
      await b.publish('controls', '');
      await arrived(received, 3, 'the three messages');
      expect(received.map((r) => r.data)).toEqual([controls, long, '']);
    });

    it('takes a message of exactly 1 MiB of UTF-8 and refuses one a byte over', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const received = collect(a, 'limit');
      const exact = 'é'.repeat(512 * 1024); // 1,048,576 bytes
      await b.publish('limit', exact);
      const over = await rejection(() => b.publish('limit', `${exact}x`));
      expect(over).toBeInstanceOf(Error);
      expect((over as Error).message).toMatch(/1 MiB|1048576/);
      expect(await rejection(() => b.publish('limit', 'x'.repeat(2 * 1024 * 1024)))).toBeInstanceOf(Error);
      await b.publish('limit', 'after');
      await arrived(received, 2, 'the 1 MiB message and the one after');
      expect(received.map((r) => r.data.length)).toEqual([exact.length, 5]);
      expect(received[0]?.data === exact).toBe(true);
    });

    it('stops calling a handler once unsubscribed, and keeps calling the others', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      const gone: string[] = [];
      const stop = a.subscribe('topic', (data) => gone.push(data));
      const kept = collect(a, 'topic');
      await b.publish('topic', 'first');
      await arrived(kept, 1, 'the first message');
      stop();
      stop(); // twice is harmless
      await b.publish('topic', 'second');
      await arrived(kept, 2, 'the second message');
      expect(gone).toEqual(['first']);
      expect(kept.map((r) => r.data)).toEqual(['first', 'second']);
    });

    it('keeps delivering to the other handlers when one throws', async () => {
      const a = await bus('proc_a');
      const b = await bus('proc_b');
      a.subscribe('boom', () => {
        throw new Error('a broken handler');
      });
      const after = collect(a, 'boom');
      await b.publish('boom', 'one');
      await b.publish('boom', 'two');
      await arrived(after, 2, 'both messages past the throwing handler');
      expect(after.map((r) => r.data)).toEqual(['one', 'two']);
    });

    it('check() resolves on a connected bus, again and again', async () => {
      const a = await bus('proc_a');
      await a.check();
      await Promise.all([a.check(), a.check(), a.check()]);
    });

    it('rejects publish and check after close, and closing twice is harmless', async () => {
      const a = await bus('proc_a');
      await a.close();
      await a.close();
      expect(await rejection(() => a.publish('topic', 'late'))).toBeInstanceOf(Error);
      expect(await rejection(() => a.check())).toBeInstanceOf(Error);
    });

    it('refuses a topic that is not 1-32 characters of a-z, 0-9 and _', async () => {
      const a = await bus('proc_a');
      for (const topic of ['', 'Upper', 'with-dash', 'sp ace', 'é', 'x'.repeat(33), '.ping']) {
        expect(BUS_TOPIC.test(topic)).toBe(false);
        expect(
          await rejection(() => a.publish(topic, 'x')),
          `publish to ${JSON.stringify(topic)}`,
        ).toBeInstanceOf(Error);
        expect(() => a.subscribe(topic, () => {}), `subscribe to ${JSON.stringify(topic)}`).toThrow();
      }
      await a.publish('x'.repeat(32), 'a 32-character topic is fine');
    });
  });
}
