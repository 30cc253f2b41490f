/**
 * Awaiting frames with FrameInbox over the protocol client, against a scripted gateway end: a
 * frame that came before the wait is not missed, each frame is handed out once, a predicate
 * picks among frames of one type, and a connection that ends for good ends the wait at once
 * (with the gateway's close code when the client was told not to reconnect).
 */
import { FrameInbox, GatewayClient } from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
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

  it('says hello with the capabilities it is given, and without the field when given none', async () => {
    const peer = new ScriptedPeer();
    client = new GatewayClient({ url: 'ws://gateway.test/ws', openSocket: peer.open, capabilities: [] });
    await client.connect();
    expect(peer.framesOf('hello')[0]?.payload).not.toHaveProperty('capabilities');
  });
});
