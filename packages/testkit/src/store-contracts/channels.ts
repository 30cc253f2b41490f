/**
 * The ChannelStore contract (issue 34): what makes a chat channel neither lose nor repeat a
 * message across restarts. The cursor moves only with the messages it covers; a message is stored
 * once however often the platform delivers it; a message is claimed by one runner; settling it
 * and enqueueing its answer happen together; a running message found at start comes back with
 * the mark of where its turn began, and is run again only when requeued; an outbox key is sent once.
 */
import type { ChannelStore, NewChannelInbound, NewChannelOutbound } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { HOSTILE_TEXT, openEach, type StoreOpener } from './harness.js';

const message = (id: string, text = `text ${id}`, conversation = '100'): NewChannelInbound => ({
  conversation,
  messageId: id,
  chatId: conversation,
  senderId: '7',
  userId: 'alice',
  text,
});

const part = (key: string, text: string, editOf?: string): NewChannelOutbound => ({
  key,
  chatId: '100',
  text,
  ...(editOf !== undefined ? { editOf } : {}),
});

export function channelStoreContract(open: StoreOpener<ChannelStore>): void {
  describe('ChannelStore contract', () => {
    let store: ChannelStore;
    openEach(open, (current) => {
      store = current.store;
    });

    it('moves the cursor with the messages it accepts, per channel', async () => {
      expect(await store.cursor('telegram')).toBeUndefined();
      const added = await store.accept('telegram', '41', [message('1'), message('2')]);
      expect(added.map((m) => [m.messageId, m.status, m.channel])).toEqual([
        ['1', 'pending', 'telegram'],
        ['2', 'pending', 'telegram'],
      ]);
      expect(added[1]!.seq).toBeGreaterThan(added[0]!.seq);
      expect(await store.cursor('telegram')).toBe('41');
      // Updates with nothing to keep (a stranger's) still move it.
      await store.accept('telegram', '42', []);
      expect(await store.cursor('telegram')).toBe('42');
      expect(await store.cursor('slack')).toBeUndefined();
    });

    it('stores a message delivered twice once, and keeps hostile text exactly', async () => {
      await store.accept('telegram', '1', [message('5', HOSTILE_TEXT.join('\n'))]);
      const again = await store.accept('telegram', '2', [message('5', 'other'), message('6')]);
      expect(again.map((m) => m.messageId)).toEqual(['6']);
      // The same id in another conversation is another message.
      expect(await store.accept('telegram', '3', [message('5', 'x', '200')])).toHaveLength(1);
      const pending = await store.pending('telegram');
      expect(pending.map((m) => [m.conversation, m.messageId])).toEqual([
        ['100', '5'],
        ['100', '6'],
        ['200', '5'],
      ]);
      expect(pending[0]!.text).toBe(HOSTILE_TEXT.join('\n'));
    });

    it('lets one runner claim a message, and settles it with its answer in the outbox', async () => {
      const [m] = await store.accept('telegram', '1', [message('1')]);
      const claims = await Promise.all([store.claim(m!.seq), store.claim(m!.seq)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.pending('telegram')).toEqual([]);
      await store.settle(m!.seq, 'answered', 'telegram', [part('a:0', 'first', '55'), part('a:1', 'second')]);
      expect(await store.claim(m!.seq)).toBe(false);
      const unsent = await store.unsent('telegram');
      expect(unsent.map((o) => [o.key, o.text, o.editOf])).toEqual([
        ['a:0', 'first', '55'],
        ['a:1', 'second', undefined],
      ]);
      expect(await store.running('telegram')).toEqual([]);
    });

    it('returns what was running when the last process stopped with its turn mark; settled, it is gone', async () => {
      const [a, b, c] = await store.accept('telegram', '1', [message('1'), message('2'), message('3')]);
      await store.claim(a!.seq);
      await store.claim(c!.seq);
      const mark = { sessionId: 's-1', afterSeq: 12, placeholderId: '901' };
      await store.markTurn(a!.seq, mark);
      // A mark is only written on a running message.
      await store.markTurn(b!.seq, { sessionId: 'other' });
      const left = await store.running('telegram');
      expect(left.map((m) => [m.seq, m.status, m.turn])).toEqual([
        [a!.seq, 'running', mark],
        [c!.seq, 'running', undefined],
      ]);
      expect(await store.running('slack')).toEqual([]);
      await store.settle(a!.seq, 'interrupted', 'telegram', [part('interrupted:1', 'note')]);
      expect((await store.running('telegram')).map((m) => m.seq)).toEqual([c!.seq]);
      expect(await store.claim(a!.seq)).toBe(false);
      expect((await store.pending('telegram')).map((m) => [m.seq, m.turn])).toEqual([[b!.seq, undefined]]);
    });

    it('requeues a running message once, keeping its mark, so it is claimed and run again', async () => {
      const [a] = await store.accept('telegram', '1', [message('1')]);
      expect(await store.requeue(a!.seq)).toBe(false);
      await store.claim(a!.seq);
      await store.markTurn(a!.seq, { placeholderId: '77' });
      const requeued = await Promise.all([store.requeue(a!.seq), store.requeue(a!.seq)]);
      expect(requeued.filter(Boolean)).toHaveLength(1);
      expect(await store.running('telegram')).toEqual([]);
      expect((await store.pending('telegram')).map((m) => [m.seq, m.turn])).toEqual([
        [a!.seq, { placeholderId: '77' }],
      ]);
      expect(await store.claim(a!.seq)).toBe(true);
    });

    it('sends an outbox key once: enqueued twice it is one message, marked sent it is gone', async () => {
      await store.enqueue('telegram', [part('k1', 'one'), part('k2', 'two')]);
      await store.enqueue('telegram', [part('k1', 'one again')]);
      expect((await store.unsent('telegram')).map((o) => [o.key, o.text])).toEqual([
        ['k1', 'one'],
        ['k2', 'two'],
      ]);
      await store.markSent('telegram', 'k1', '900');
      await store.markSent('telegram', 'k1', '901');
      expect((await store.unsent('telegram')).map((o) => o.key)).toEqual(['k2']);
      await store.enqueue('telegram', [part('k1', 'once more')]);
      expect((await store.unsent('telegram')).map((o) => o.key)).toEqual(['k2']);
      expect(await store.unsent('slack')).toEqual([]);
    });

    it('counts a channel’s messages by status and its unsent outbox', async () => {
      expect(await store.stats('telegram')).toEqual({ inbound: {}, unsent: 0 });
      const [a] = await store.accept('telegram', '7', [message('1'), message('2'), message('3')]);
      await store.claim(a!.seq);
      await store.settle(a!.seq, 'answered', 'telegram', [part('a:0', 'x'), part('a:1', 'y')]);
      await store.markSent('telegram', 'a:0', '1');
      const stats = await store.stats('telegram');
      expect(stats).toMatchObject({ cursor: '7', inbound: { answered: 1, pending: 2 }, unsent: 1 });
      expect(Date.parse(stats.lastReceivedAt!)).not.toBeNaN();
      expect(await store.stats('slack')).toEqual({ inbound: {}, unsent: 0 });
    });

    it('keeps a send given up on with its error, out of the unsent ones, newest first', async () => {
      await store.enqueue('telegram', [part('f1', 'one'), part('f2', 'two'), part('f3', 'three')]);
      await store.markFailed('telegram', 'f1', '403 Forbidden: bot was blocked by the user');
      // Already out of the queue: neither a second failure nor a send changes it.
      await store.markFailed('telegram', 'f1', 'again');
      await store.markSent('telegram', 'f1', '77');
      await store.markSent('telegram', 'f3', '78');
      await store.markFailed('telegram', 'f3', 'after it was sent');
      expect((await store.unsent('telegram')).map((o) => o.key)).toEqual(['f2']);
      expect((await store.stats('telegram')).unsent).toBe(1);
      const one = await store.failures('telegram', 10);
      expect(one.total).toBe(1);
      expect(one.recent).toEqual([
        {
          key: 'f1',
          chatId: '100',
          text: 'one',
          error: '403 Forbidden: bot was blocked by the user',
          failedAt: expect.any(String),
        },
      ]);
      expect(Date.parse(one.recent[0]!.failedAt)).not.toBeNaN();
      await store.markFailed('telegram', 'f2', 'chat not found');
      const latest = await store.failures('telegram', 1);
      expect(latest.total).toBe(2);
      expect(latest.recent.map((f) => [f.key, f.error])).toEqual([['f2', 'chat not found']]);
      expect(await store.failures('slack', 10)).toEqual({ total: 0, recent: [] });
    });

    it('keeps the latest health record of each channel, replaced whole', async () => {
      expect(await store.health('telegram')).toBeUndefined();
      const full = {
        botName: '@oxydra_bot',
        pid: 4321,
        host: 'box',
        startedAt: '2026-01-01T10:00:00.000Z',
        heartbeatAt: '2026-01-01T10:00:05.000Z',
        lastReceiveAt: '2026-01-01T10:00:04.000Z',
        lastSendAt: '2026-01-01T10:00:03.000Z',
        lastError: 'Telegram getUpdates: 502 Bad Gateway',
        lastErrorAt: '2026-01-01T10:00:01.000Z',
        role: 'oxydra gateway',
      };
      await store.recordHealth('telegram', full);
      expect(await store.health('telegram')).toEqual(full);
      const next = {
        pid: 4400,
        host: 'box',
        startedAt: '2026-01-01T11:00:00.000Z',
        heartbeatAt: '2026-01-01T11:00:10.000Z',
        stoppedAt: '2026-01-01T11:00:10.000Z',
      };
      await store.recordHealth('telegram', next);
      expect(await store.health('telegram')).toEqual(next);
      expect(await store.health('slack')).toBeUndefined();
    });

    it('holds a channel for one process: another live one is refused, a stopped or silent one taken over', async () => {
      const claim = (pid: number, at: string) => ({
        pid,
        host: 'box',
        role: `process ${pid}`,
        startedAt: at,
        heartbeatAt: at,
      });
      const staleBefore = '2026-01-01T10:00:00.000Z';
      const first = claim(1, '2026-01-01T10:00:05.000Z');
      expect(await store.hold('telegram', first, staleBefore)).toBeUndefined();
      expect(await store.health('telegram')).toEqual(first);
      // Another process while the first beats: refused, with the holder, and nothing written.
      expect(await store.hold('telegram', claim(2, '2026-01-01T10:00:06.000Z'), staleBefore)).toEqual(first);
      expect(await store.health('telegram')).toEqual(first);
      // Another host with the same pid is another process too.
      expect(
        await store.hold('telegram', { ...claim(1, '2026-01-01T10:00:06.000Z'), host: 'other' }, staleBefore),
      ).toEqual(first);
      // The same process again, and another channel, are not refused.
      expect(await store.hold('telegram', claim(1, '2026-01-01T10:00:07.000Z'), staleBefore)).toBeUndefined();
      expect(await store.hold('slack', claim(2, '2026-01-01T10:00:07.000Z'), staleBefore)).toBeUndefined();
      // A holder silent since before staleBefore died without saying: taken over.
      const late = claim(3, '2026-01-01T10:01:00.000Z');
      expect(await store.hold('telegram', late, '2026-01-01T10:00:30.000Z')).toBeUndefined();
      expect(await store.health('telegram')).toEqual(late);
      // A holder that stopped cleanly is taken over at once.
      await store.recordHealth('telegram', { ...late, stoppedAt: '2026-01-01T10:01:01.000Z' });
      const next = claim(4, '2026-01-01T10:01:02.000Z');
      expect(await store.hold('telegram', next, staleBefore)).toBeUndefined();
      expect(await store.health('telegram')).toEqual(next);
    });

    it('keeps the session of each conversation, replaced by a new one', async () => {
      expect(await store.session('telegram', '100/alice')).toBeUndefined();
      await store.setSession('telegram', '100/alice', 's1');
      await store.setSession('telegram', '100/bob', 's2');
      expect(await store.session('telegram', '100/alice')).toBe('s1');
      await store.setSession('telegram', '100/alice', 's3');
      expect(await store.session('telegram', '100/alice')).toBe('s3');
      expect(await store.session('telegram', '100/bob')).toBe('s2');
      expect(await store.session('slack', '100/alice')).toBeUndefined();
    });

    it("keeps a schedule's chat, replaced or removed, and knows who has talked from which chat", async () => {
      expect(await store.scheduleTarget('sch_1')).toBeUndefined();
      await store.setScheduleTarget('sch_1', { channel: 'telegram', chatId: '100', userId: 'alice' });
      await store.setScheduleTarget('sch_2', {
        channel: 'telegram',
        chatId: '-5',
        threadId: '9',
        userId: 'bob',
      });
      expect(await store.scheduleTarget('sch_1')).toEqual({
        channel: 'telegram',
        chatId: '100',
        userId: 'alice',
      });
      await store.setScheduleTarget('sch_1', { channel: 'slack', chatId: 'C1', userId: 'alice' });
      expect(await store.scheduleTarget('sch_1')).toEqual({
        channel: 'slack',
        chatId: 'C1',
        userId: 'alice',
      });
      expect(await store.scheduleTarget('sch_2')).toEqual({
        channel: 'telegram',
        chatId: '-5',
        threadId: '9',
        userId: 'bob',
      });
      await store.setScheduleTarget('sch_1', undefined);
      expect(await store.scheduleTarget('sch_1')).toBeUndefined();
      // hasSpoken: a message accepted from the chat as that user (the messages here are alice's, chat 100).
      expect(await store.hasSpoken('telegram', '100', 'alice')).toBe(false);
      await store.accept('telegram', '1', [message('1')]);
      expect(await store.hasSpoken('telegram', '100', 'alice')).toBe(true);
      expect(await store.hasSpoken('telegram', '100', 'bob')).toBe(false);
      expect(await store.hasSpoken('telegram', '200', 'alice')).toBe(false);
      expect(await store.hasSpoken('slack', '100', 'alice')).toBe(false);
    });

    it('keeps one pairing request per sender, at most maxPending per channel, dropping stale ones', async () => {
      const request = (senderId: string, requestedAt: string) => ({
        senderId,
        name: HOSTILE_TEXT[0]!,
        chatId: senderId,
        codeHash: `salt:${senderId}`,
        requestedAt,
      });
      const limits = { maxPending: 2, staleBefore: '2026-01-01T00:00:00.000Z' };
      expect(await store.requestPairing('telegram', request('1', '2026-01-01T00:10:00.000Z'), limits)).toBe(
        'created',
      );
      // The same sender again: no second request (no second code), the first stays.
      expect(await store.requestPairing('telegram', request('1', '2026-01-01T00:20:00.000Z'), limits)).toBe(
        'pending',
      );
      expect(await store.requestPairing('telegram', request('2', '2026-01-01T00:11:00.000Z'), limits)).toBe(
        'created',
      );
      expect(await store.requestPairing('telegram', request('3', '2026-01-01T00:12:00.000Z'), limits)).toBe(
        'full',
      );
      // Another channel has its own bound.
      expect(await store.requestPairing('slack', request('3', '2026-01-01T00:12:00.000Z'), limits)).toBe(
        'created',
      );
      const open = await store.pairingRequests('telegram', limits.staleBefore);
      expect(open.map((r) => [r.channel, r.senderId, r.codeHash, r.requestedAt])).toEqual([
        ['telegram', '1', 'salt:1', '2026-01-01T00:10:00.000Z'],
        ['telegram', '2', 'salt:2', '2026-01-01T00:11:00.000Z'],
      ]);
      expect(open[0]!.name).toBe(HOSTILE_TEXT[0]);
      expect((await store.pairingRequests(undefined, limits.staleBefore)).map((r) => r.channel)).toEqual([
        'telegram',
        'telegram',
        'slack',
      ]);
      // An hour on, the old requests are stale: not listed, and dropped when the next one comes.
      const later = { maxPending: 2, staleBefore: '2026-01-01T00:10:30.000Z' };
      expect((await store.pairingRequests('telegram', later.staleBefore)).map((r) => r.senderId)).toEqual([
        '2',
      ]);
      expect(await store.requestPairing('telegram', request('1', '2026-01-01T01:11:00.000Z'), later)).toBe(
        'created',
      );
      expect(await store.dropPairingRequest('telegram', '2')).toBe(true);
      expect(await store.dropPairingRequest('telegram', '2')).toBe(false);
      expect((await store.pairingRequests('telegram', later.staleBefore)).map((r) => r.senderId)).toEqual([
        '1',
      ]);
    });

    it('pairs a sender (dropping their request), replaces the user on a second approval, unpairs', async () => {
      const limits = { maxPending: 3, staleBefore: '2026-01-01T00:00:00.000Z' };
      const request = {
        senderId: '9',
        chatId: '9',
        codeHash: 'a:b',
        requestedAt: '2026-01-01T00:01:00.000Z',
      };
      await store.requestPairing('telegram', request, limits);
      expect(await store.pairedSenders('telegram')).toEqual([]);
      await store.pair('telegram', { senderId: '9', userId: 'bob', name: 'Bob' }, '2026-01-01T00:02:00.000Z');
      expect(await store.pairingRequests('telegram', limits.staleBefore)).toEqual([]);
      expect(await store.pairedSenders('telegram')).toEqual([
        {
          channel: 'telegram',
          senderId: '9',
          userId: 'bob',
          name: 'Bob',
          pairedAt: '2026-01-01T00:02:00.000Z',
        },
      ]);
      await store.pair('telegram', { senderId: '9', userId: 'carol' }, '2026-01-01T00:03:00.000Z');
      expect((await store.pairedSenders('telegram')).map((p) => [p.userId, p.name])).toEqual([
        ['carol', undefined],
      ]);
      expect(await store.pairedSenders('slack')).toEqual([]);
      expect(await store.unpair('telegram', '9')).toBe(true);
      expect(await store.unpair('telegram', '9')).toBe(false);
      expect(await store.pairedSenders('telegram')).toEqual([]);
    });

    it("keeps a message's attachments and an outbox message's file", async () => {
      const attachments = [
        {
          id: 'f1',
          kind: 'document' as const,
          mimeType: 'application/pdf',
          fileName: HOSTILE_TEXT[0]!,
          size: 10,
        },
        { id: 'f2', kind: 'photo' as const },
      ];
      await store.accept('telegram', '1', [{ ...message('1'), attachments }, message('2')]);
      const [withFiles, without] = await store.pending('telegram');
      expect(withFiles!.attachments).toEqual(attachments);
      expect(without!.attachments).toBeUndefined();
      await store.enqueue('telegram', [
        { ...part('f:0', 'report.pdf'), file: 'out/report.pdf' },
        part('t:0', 'text'),
      ]);
      expect((await store.unsent('telegram')).map((o) => [o.key, o.file])).toEqual([
        ['f:0', 'out/report.pdf'],
        ['t:0', undefined],
      ]);
    });
  });
}
