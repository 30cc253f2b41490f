/**
 * The channel host with a scripted platform and a scripted kernel: who may stop whose answer in
 * a group, what is refused before it reaches the agent, what is never run (edits), and that a
 * button press is acknowledged, and that an answer is stored before its final edit waits. The real platform and kernel are in packages/cli/test/channels-e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChannelHost,
  type LibsqlChannelStore,
  MAX_PROMPT_CHARS,
  openChannelStore,
  SenderPolicy,
} from '@oxydra/channels';
import { Admission, type SpawnSpec } from '@oxydra/kernel';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { Channel, ChannelMessage, ChannelUpdate } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';

/** An update before the platform gives it its cursor (each member of the union). */
type NewUpdate = ChannelUpdate extends infer U ? (U extends unknown ? Omit<U, 'cursor'> : never) : never;

/** A platform the test feeds updates to and reads sends from. */
class ScriptedChannel implements Channel {
  readonly name = 'telegram';
  readonly capabilities = { edit: true, maxMessageLength: 4096, minEditIntervalMs: 0 };
  readonly sent: { chatId: string; text: string; id: string }[] = [];
  readonly answered: string[] = [];
  /** Each acknowledge(cursor), with what the store held at that moment. */
  readonly acknowledged: { cursor: string; storedCursor: string | undefined }[] = [];
  store: LibsqlChannelStore | undefined;
  #queue: ChannelUpdate[] = [];
  #wake: (() => void) | undefined;
  #cursor = 0;
  async start() {
    return { botName: '@bot' };
  }
  push(update: NewUpdate): void {
    this.#queue.push({ ...update, cursor: String(++this.#cursor) } as ChannelUpdate);
    this.#wake?.();
  }
  async receive(_cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    if (this.#queue.length === 0) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return this.#queue.splice(0);
  }
  async send(target: { chatId: string }, text: string) {
    const id = String(this.sent.length + 1);
    this.sent.push({ chatId: target.chatId, text, id });
    return { messageId: id };
  }
  async edit(_target: { chatId: string }, messageId: string, text: string) {
    this.sent.find((m) => m.id === messageId)!.text = text;
  }
  async sendQuestion(target: { chatId: string }, text: string) {
    return this.send(target, text);
  }
  async answerButton(pressId: string) {
    this.answered.push(pressId);
  }
  async acknowledge(cursor: string) {
    this.acknowledged.push({ cursor, storedCursor: await this.store?.cursor('telegram') });
  }
  async close() {
    this.#wake?.();
  }
}

/** A kernel whose agents say "thinking" and then wait until their turn is stopped or released. */
class ScriptedKernel {
  readonly spawned: SpawnSpec[] = [];
  readonly #release = new Set<() => void>();
  sessions = { create: async (fields: { userId?: string }) => ({ id: `s-${fields.userId}` }) as never };
  /** The kernel's own per-user limit, one run per user here. */
  readonly admission = new Admission(1);
  agents = {
    spawn: (spec: SpawnSpec) => {
      this.spawned.push(spec);
      let release!: () => void;
      const done = new Promise<'released' | 'stopped'>((resolve) => {
        release = () => resolve('released');
        spec.signal?.addEventListener('abort', () => resolve('stopped'), { once: true });
      });
      this.#release.add(release);
      const result = done.then((how) => ({
        status: how === 'released' ? ('completed' as const) : ('cancelled' as const),
        text: `answer to ${String(spec.prompt)}`,
      }));
      const id = `agent-${this.spawned.length}`;
      return {
        id,
        events: (async function* () {
          yield { seq: 1, agentId: id, event: { type: 'text_delta' as const, text: 'thinking' } };
          await done;
        })(),
        result,
      } as never;
    },
  };
  releaseAll(): void {
    for (const release of this.#release) release();
    this.#release.clear();
  }
}

const ALICE = '1';
const BOB = '2';
const GROUP = '-100';

function message(sender: string, text: string, id: string, extra: Partial<ChannelMessage> = {}): NewUpdate {
  return {
    kind: 'message',
    message: {
      id,
      conversation: GROUP,
      chatId: GROUP,
      chatKind: 'group',
      sender: { id: sender },
      text,
      attachments: [],
      edited: false,
      addressed: true,
      ...extra,
    },
  };
}

let dir: string | undefined;
let host: ChannelHost | undefined;
let store: LibsqlChannelStore | undefined;

afterEach(async () => {
  await host?.close(0);
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  host = undefined;
  store = undefined;
  dir = undefined;
});

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'oxydra-channel-host-'));
  store = openChannelStore(join(dir, 'channels.db'));
  const channel = new ScriptedChannel();
  channel.store = store;
  const kernel = new ScriptedKernel();
  const log: string[] = [];
  const senders = new SenderPolicy(
    'telegram',
    [
      { platform_ids: [ALICE], user: 'alice' },
      { platform_ids: [BOB], user: 'bob' },
    ],
    (line) => log.push(line),
  );
  host = new ChannelHost({ kernel, channel, store, senders, log: (line) => log.push(line) });
  await host.start();
  return { channel, kernel, log };
}

const texts = (channel: ScriptedChannel) => channel.sent.map((m) => m.text);

describe('ChannelHost', () => {
  it("in a group, /stop stops the sender's own answer, not another sender's", async () => {
    const { channel, kernel } = await setup();
    channel.push(message(ALICE, "alice's question", '1'));
    await pollUntil(() => kernel.spawned.length === 1, 'alice’s turn');
    expect(kernel.spawned[0]).toMatchObject({
      userId: 'alice',
      sessionId: 's-alice',
      prompt: "alice's question",
    });
    channel.push(message(BOB, '/stop', '2'));
    // Bob's /stop is accepted (and waits behind Alice's turn): her answer goes on.
    await pollUntil(async () => (await store!.stats('telegram')).inbound.pending === 1, 'bob’s /stop stored');
    expect(kernel.spawned[0]!.signal!.aborted).toBe(false);
    channel.push(message(ALICE, '/stop', '3'));
    await pollUntil(() => kernel.spawned[0]!.signal!.aborted, 'alice’s /stop to stop her answer');
    await pollUntil(() => texts(channel).filter((t) => t === 'Stopped.').length === 2, 'both /stop replies');
    expect(texts(channel)).toContain('thinking\n\n(stopped)');
    // Bob's /stop came first, but only Alice's own stopped her answer: one turn, stopped once.
    expect(kernel.spawned).toHaveLength(1);
  });

  it("a chat turn waits for a slot of its user's limit, shared with the user's other runs", async () => {
    const { channel, kernel } = await setup();
    // Alice has a run going through another door (a gateway turn, a schedule): her one slot.
    const held = await kernel.admission.acquire({ userId: 'alice' }, new AbortController().signal);
    channel.push(message(ALICE, 'a question while busy', '1'));
    await pollUntil(() => texts(channel).includes('…'), 'the placeholder');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(kernel.spawned).toEqual([]);
    await held();
    await pollUntil(() => kernel.spawned.length === 1, 'the turn once the slot is free');
    kernel.releaseAll();
    await pollUntil(() => texts(channel).includes('answer to a question while busy'), 'the answer');
  });

  it('refuses a message over the bound and a file without text before any turn; runs no edit', async () => {
    const { channel, kernel } = await setup();
    channel.push(message(ALICE, 'x'.repeat(MAX_PROMPT_CHARS + 1), '1'));
    channel.push(message(ALICE, '', '2', { attachments: [{ id: 'f', kind: 'photo' }] }));
    channel.push(message(ALICE, 'an edit', '3', { edited: true }));
    channel.push({
      kind: 'button',
      press: { id: 'cq9', conversation: GROUP, chatId: GROUP, sender: { id: ALICE }, value: 'x' },
    });
    await pollUntil(
      () => texts(channel).length === 2 && channel.answered.length === 1,
      'the two notes and the press',
    );
    expect(texts(channel)).toEqual([
      `That message is too long (${MAX_PROMPT_CHARS + 1} characters; at most ${MAX_PROMPT_CHARS}).`,
      'Send your question as text (files and images are not read yet).',
    ]);
    expect(channel.answered).toEqual(['cq9']);
    expect(kernel.spawned).toEqual([]);
    expect((await store!.stats('telegram')).inbound).toEqual({ answered: 2 });
  });

  it('answers a message in a group only when it is addressed, and a stranger never', async () => {
    const { channel, kernel, log } = await setup();
    channel.push(message(ALICE, 'chatter', '1', { addressed: false }));
    channel.push(message('666', 'hi bot', '2'));
    channel.push(message('666', 'hi again', '3'));
    channel.push(message(ALICE, 'a real question', '4'));
    await pollUntil(() => kernel.spawned.length === 1, 'the addressed turn');
    kernel.releaseAll();
    await pollUntil(() => texts(channel).includes('answer to a real question'), 'the answer');
    expect(kernel.spawned.map((s) => s.prompt)).toEqual(['a real question']);
    expect(log.filter((line) => line.includes('unknown sender 666'))).toHaveLength(1);
    expect(channel.sent.every((m) => m.chatId === GROUP)).toBe(true);
  });

  it('stores a finished answer before waiting out the edit interval, so a stop meanwhile does not cut it', async () => {
    const { channel, kernel } = await setup();
    // The answer streamed ("thinking" shown by an edit): its final edit must wait the interval.
    channel.capabilities.minEditIntervalMs = 60_000;
    channel.push(message(ALICE, 'a question', '1'));
    await pollUntil(() => texts(channel).includes('thinking'), 'the streamed edit');
    kernel.releaseAll();
    // Stored as answered (its final edit in the outbox) while the edit waits: a crash now would
    // send it at the next start, not tell the sender their finished answer was cut.
    await pollUntil(async () => (await store!.stats('telegram')).inbound.answered === 1, 'the answer stored');
    expect((await store!.stats('telegram')).unsent).toBe(1);
    expect(texts(channel)).toEqual(['thinking']);
    // Stopping sends what waited, without waiting the interval out.
    await host!.close(0);
    expect(texts(channel)).toEqual(['answer to a question']);
    expect((await store!.stats('telegram')).unsent).toBe(0);
    host = undefined;
  });

  it('acknowledges updates to a pushing platform only after they are stored', async () => {
    const { channel, kernel } = await setup();
    channel.push(message(ALICE, 'first', '1'));
    await pollUntil(() => kernel.spawned.length === 1, 'the turn');
    channel.push(message('666', 'a stranger', '2'));
    await pollUntil(() => channel.acknowledged.length === 2, 'the second acknowledgement');
    // Each acknowledgement came after its cursor was committed, strangers' updates included.
    expect(channel.acknowledged).toEqual([
      { cursor: '1', storedCursor: '1' },
      { cursor: '2', storedCursor: '2' },
    ]);
    kernel.releaseAll();
  });
});
