/**
 * Awaiting frames with FrameInbox over the protocol client, against a scripted gateway end: a
 * frame that came before the wait is not missed, each frame is handed out once, a predicate
 * picks among frames of one type, and a connection that ends for good ends the wait at once
 * (with the gateway's close code when the client was told not to reconnect). Over a long
 * connection (frames straight from a FrameSource, as a test's raw socket gives them): a take
 * looks only at the unclaimed frames of its type, and what is kept is bounded.
 */
import { type ClientListener, FrameInbox, GatewayClient } from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
import type { ServerFrame } from '@oxydra/types/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedPeer } from './scripted-peer.js';

let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function connected(peer: ScriptedPeer, reconnect?: boolean) {
  client = new GatewayClient({
    url: 'ws://gateway.test/ws',
    openSocket: peer.open,
    codec: checkedCodec,
    healthIntervalMs: 60_000,
    ...(reconnect === undefined ? {} : { reconnect }),
  });
  return { client, inbox: new FrameInbox(client) };
}

const notice = (id: string) =>
  ({ type: 'scheduled_notification', payload: { schedule_id: id, message: id } }) as const;

/** A FrameSource the test feeds directly, as packages/gateway/test/raw-socket.ts does. */
function fed(limit?: number) {
  let emit: ClientListener = () => {};
  const inbox = new FrameInbox(
    {
      subscribe: (listener) => {
        emit = listener;
        return () => {};
      },
    },
    limit === undefined ? {} : { limit },
  );
  return { inbox, send: (frame: ServerFrame) => emit({ kind: 'frame', frame }) };
}

describe('FrameInbox', () => {
  it('hands out each frame once, in order, whether it came before or after the wait', async () => {
    const peer = new ScriptedPeer();
    const { client, inbox } = connected(peer);
    await client.connect();
    peer.send(notice('a'));
    peer.send(notice('b'));
    expect((await inbox.take('scheduled_notification')).payload.schedule_id).toBe('a');
    const later = inbox.take('scheduled_notification', (f) => f.payload.schedule_id === 'c');
    peer.send(notice('c'));
    expect((await later).payload.schedule_id).toBe('c');
    expect((await inbox.take('scheduled_notification')).payload.schedule_id).toBe('b');
    await expect(inbox.take('scheduled_notification', () => true, 50)).rejects.toThrow(
      'timed out waiting for scheduled_notification; got scheduled_notification, scheduled_notification, scheduled_notification',
    );
    peer.sendText('not json');
    expect(inbox.malformed).toEqual(['not JSON: not json']);
    expect(inbox.frames).toHaveLength(3);
  });

  it('ends a wait when the connection ends for good, with the close code when not reconnecting', async () => {
    const peer = new ScriptedPeer();
    const { client, inbox } = connected(peer, false);
    await client.connect();
    const waiting = inbox.take('turn_completed');
    peer.closeWith(1001, 'going away');
    await expect(waiting).rejects.toThrow(
      'the connection closed (connection lost (code 1001: going away)) while waiting for turn_completed',
    );
    expect(inbox.closed).toEqual({ reason: 'connection lost (code 1001: going away)', code: 1001 });
    expect(peer.opened).toBe(1);
  });

  it('costs each frame a constant amount of work, however many came before and were never taken', async () => {
    const { inbox, send } = fed();
    // Frames nobody takes (a turn's deltas, say), each counting how often its type is read.
    let typeReads = 0;
    const ignored = (id: string): ServerFrame => {
      const frame = { payload: { schedule_id: id, message: id } };
      Object.defineProperty(frame, 'type', {
        get: () => {
          typeReads++;
          return 'scheduled_notification';
        },
      });
      return frame as ServerFrame;
    };
    const turns = 200;
    let asked = 0;
    const turnIs = (id: string) => (f: { payload: { turn: { turn_id: string } } }) => {
      asked++;
      return f.payload.turn.turn_id === id;
    };
    const completed = (id: string) =>
      ({ type: 'turn_completed', payload: { turn: { turn_id: id } } }) as unknown as ServerFrame;
    for (let i = 0; i < turns; i++) {
      for (let d = 0; d < 10; d++) send(ignored(`${i}.${d}`));
      // One take waits before its frame comes, one finds its frame already there.
      const waiting = inbox.take('turn_completed', turnIs(`w${i}`));
      send(completed(`early${i}`));
      send(completed(`w${i}`));
      expect((await waiting).payload.turn.turn_id).toBe(`w${i}`);
      expect((await inbox.take('turn_completed', turnIs(`early${i}`))).payload.turn.turn_id).toBe(
        `early${i}`,
      );
    }
    // Each ignored frame's type was read once, when it came: no take scanned it again.
    expect(typeReads).toBe(turns * 10);
    // Each turn: the waiting take asked about both frames as they came, the other about its one.
    expect(asked).toBe(turns * 3);
    expect(inbox.frames).toHaveLength(turns * 12);
  });

  it('keeps at most `limit` unclaimed frames of a type, the latest, and says so when a take then waits in vain', async () => {
    const { inbox, send } = fed(3);
    for (const id of 'abcdefghij') send(notice(id));
    const taken: string[] = [];
    for (let i = 0; i < 3; i++) taken.push((await inbox.take('scheduled_notification')).payload.schedule_id);
    expect(taken).toEqual(['h', 'i', 'j']);
    await expect(inbox.take('scheduled_notification', () => true, 20)).rejects.toThrow(
      '; 7 older scheduled_notification frames were dropped unclaimed (more than 3 waiting)',
    );
    // The record of what came keeps the latest `limit` at least, twice that at most.
    for (let i = 0; i < 100; i++) send(notice(`n${i}`));
    expect(inbox.frames.length).toBeGreaterThanOrEqual(3);
    expect(inbox.frames.length).toBeLessThan(6);
    expect(inbox.frames.at(-1)).toEqual(notice('n99'));
  });

  it('says hello with the capabilities it is given, and without the field when given none', async () => {
    const peer = new ScriptedPeer();
    client = new GatewayClient({ url: 'ws://gateway.test/ws', openSocket: peer.open, capabilities: [] });
    await client.connect();
    expect(peer.framesOf('hello')[0]?.payload).not.toHaveProperty('capabilities');
  });
});
