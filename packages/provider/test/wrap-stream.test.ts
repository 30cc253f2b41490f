/**
 * wrapStream: the provider wrappers' iterator. It must behave as the async generators it
 * replaced did: open lazily, pass events through, map events and errors, and let a consumer that
 * stops early end the source (whose `finally` is where a request is aborted).
 */
import type { ModelEvent } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { wrapStream } from '../src/shared/stream.js';
import { collectEvents } from './helpers-adapters.js';

const text = (value: string): ModelEvent => ({ type: 'text_delta', text: value });

/** A source that records what happened to it. */
function source(events: ModelEvent[], failAt?: number) {
  const log: string[] = [];
  async function* generate(): AsyncGenerator<ModelEvent> {
    log.push('started');
    try {
      for (let i = 0; i < events.length; i++) {
        if (i === failAt) throw new Error(`source failed at ${i}`);
        yield events[i]!;
      }
    } finally {
      log.push('finally');
    }
  }
  return { log, generate };
}

describe('wrapStream', () => {
  it('opens the source on the first next() and hands its events through as they are', async () => {
    const events = [text('a'), text('b')];
    const { log, generate } = source(events);
    let opened = 0;
    const stream = wrapStream({
      open: () => {
        opened++;
        return generate();
      },
    });
    expect(opened).toBe(0);
    const out = await collectEvents(stream);
    expect(opened).toBe(1);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(events[0]);
    expect(out[1]).toBe(events[1]);
    expect(log).toEqual(['started', 'finally']);
  });

  it('maps events, passing unchanged ones as the same objects; an async open works too', async () => {
    const events = [text('a'), text('b')];
    const { generate } = source(events);
    const out = await collectEvents(
      wrapStream({
        open: async () => generate(),
        map: (event) => (event.type === 'text_delta' && event.text === 'b' ? text('B') : event),
      }),
    );
    expect(out[0]).toBe(events[0]);
    expect(out[1]).toEqual(text('B'));
  });

  it('maps the failure of the source and of open, and is done after either', async () => {
    const { generate } = source([text('a'), text('b')], 1);
    const mapError = (error: unknown) => new Error(`mapped: ${(error as Error).message}`);
    const stream = wrapStream({ open: generate, mapError })[Symbol.asyncIterator]();
    expect(await stream.next()).toEqual({ done: false, value: text('a') });
    await expect(stream.next()).rejects.toThrow('mapped: source failed at 1');
    expect(await stream.next()).toEqual({ done: true, value: undefined });

    const refused = wrapStream({
      open: () => {
        throw new Error('no such model');
      },
      mapError,
    })[Symbol.asyncIterator]();
    await expect(refused.next()).rejects.toThrow('mapped: no such model');
    expect(await refused.next()).toEqual({ done: true, value: undefined });
  });

  it('a consumer that stops early ends the source, even while it is still opening', async () => {
    const { log, generate } = source([text('a'), text('b'), text('c')]);
    for await (const event of wrapStream({ open: generate, mapError: (e) => e })) {
      expect(event).toEqual(text('a'));
      break;
    }
    expect(log).toEqual(['started', 'finally']);

    // return() before the (slow) open finished: the source, once there, is closed too.
    let release: () => void = () => {};
    const slow = source([text('a')]);
    const closing = slow.generate();
    let closed = false;
    const originalReturn = closing.return.bind(closing);
    closing.return = (value) => {
      closed = true;
      return originalReturn(value);
    };
    const stream = wrapStream({
      open: () =>
        new Promise<AsyncIterable<ModelEvent>>((resolve) => {
          release = () => resolve(closing);
        }),
    })[Symbol.asyncIterator]();
    const first = stream.next();
    expect(await stream.return!()).toEqual({ done: true, value: undefined });
    release();
    expect(await first).toEqual({ done: true, value: undefined });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
  });

  it('forwards throw() into the source', async () => {
    const { log, generate } = source([text('a'), text('b')]);
    const stream = wrapStream({ open: generate })[Symbol.asyncIterator]();
    await stream.next();
    await expect(stream.throw!(new Error('stop'))).rejects.toThrow('stop');
    expect(log).toEqual(['started', 'finally']);
  });
});

describe('wrapStream over wrapStream (the provider layers stacked)', () => {
  const tagged = (tag: string) => (event: ModelEvent) =>
    event.type === 'text_delta' ? text(`${event.text}${tag}`) : event;

  it("applies the inner layer's map and mapError first, then the outer's; a stop early still ends the source", async () => {
    const { log, generate } = source([text('a'), text('b'), text('c')], 2);
    const stacked = wrapStream({
      open: () =>
        wrapStream({
          open: generate,
          map: tagged('<inner'),
          mapError: (error) => new Error(`inner(${(error as Error).message})`),
        }),
      map: tagged('<outer'),
      mapError: (error) => new Error(`outer(${(error as Error).message})`),
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of stacked) if (event.type === 'text_delta') seen.push(event.text);
      })(),
    ).rejects.toThrow('outer(inner(source failed at 2))');
    expect(seen).toEqual(['a<inner<outer', 'b<inner<outer']);
    expect(log).toEqual(['started', 'finally']);

    // An inner map that throws is a failure the outer layer maps; open failures go through both.
    const throwing = wrapStream({
      open: () =>
        wrapStream({
          open: source([text('x')]).generate,
          map: () => {
            throw new Error('inner map broke');
          },
        }),
      mapError: (error) => new Error(`outer(${(error as Error).message})`),
    });
    await expect(throwing[Symbol.asyncIterator]().next()).rejects.toThrow('outer(inner map broke)');
    const refused = wrapStream({
      open: () =>
        wrapStream({
          open: () => {
            throw new Error('refused');
          },
          mapError: (error) => new Error(`inner(${(error as Error).message})`),
        }),
      mapError: (error) => new Error(`outer(${(error as Error).message})`),
    });
    await expect(refused[Symbol.asyncIterator]().next()).rejects.toThrow('outer(inner(refused))');

    const early = source([text('a'), text('b')]);
    const stopped = wrapStream({ open: () => wrapStream({ open: early.generate, map: tagged('!') }) });
    for await (const event of stopped) {
      expect(event).toEqual(text('a!'));
      break;
    }
    expect(early.log).toEqual(['started', 'finally']);
  });
});
