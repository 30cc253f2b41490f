/**
 * A client that stops reading the live feed (GET /api/v1/events): before, every event was
 * written on and piled up in the gateway's memory for as long as the connection stayed open
 * (an admin's feed carries every user's events). Now the feed is cut once its client is
 * MAX_UNREAD_BYTES behind, and its subscription closed (docs/security.md, G26).
 */
import { connect, type Socket } from 'node:net';
import type { KernelEvent, Subscription } from '@oxydra/kernel';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_UNREAD_BYTES } from '../src/slow-readers.js';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
const warnings: string[] = [];
beforeAll(async () => {
  env = await startTestGateway({ log: (level, message) => level === 'warn' && warnings.push(message) });
});
afterAll(() => env.cleanup());

const EVENT_BYTES = 256 * 1024;
/** Far past the limit and whatever the two sockets' kernel buffers take. */
const EVENTS = Math.ceil((8 * MAX_UNREAD_BYTES) / EVENT_BYTES);

/** A kernel subscription yielding big approval questions until it is closed or has sent `limit`. */
function flood(limit: number): { subscription: Subscription; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  const summary = 'x'.repeat(EVENT_BYTES);
  async function* events(): AsyncGenerator<KernelEvent> {
    while (!closed && pulled < limit) {
      pulled += 1;
      await new Promise((resolve) => setImmediate(resolve));
      yield {
        seq: pulled,
        agentId: 'agent-1',
        event: {
          type: 'approval_requested',
          id: `question-${pulled}`,
          agentId: 'agent-1',
          tool: 'shell_exec',
          summary,
          expiresAt: new Date(0).toISOString(),
        },
      } as KernelEvent;
    }
  }
  const iterator = events();
  return {
    subscription: {
      close: () => {
        closed = true;
      },
      [Symbol.asyncIterator]: () => iterator,
    },
    pulled: () => pulled,
    closed: () => closed,
  };
}

/** Opens the feed on a raw socket that never reads what it is sent. */
function silentFeed(): Socket {
  const { port, hostname, host } = new URL(env.gateway.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
  socket.pause();
  return socket;
}

describe('a live feed client that stops reading', () => {
  it('is cut once it is too far behind, and its subscription closed', async () => {
    const fake = flood(EVENTS);
    const spy = vi.spyOn(env.kernel, 'subscribe').mockReturnValueOnce(fake.subscription);
    const socket = silentFeed();
    try {
      await pollUntil(
        () => fake.closed() || fake.pulled() >= EVENTS,
        'the feed to be cut or the flood to run out',
        { timeoutMs: 60_000 },
      );
      expect(fake.closed()).toBe(true);
      expect(fake.pulled()).toBeLessThan(EVENTS);
      expect(warnings).toContain('dropping a live feed client that does not read');
    } finally {
      socket.destroy();
      spy.mockRestore();
    }
    // The gateway goes on: a feed that reads still opens.
    const controller = new AbortController();
    const response = await fetch(`${env.gateway.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    controller.abort();
  });
});
