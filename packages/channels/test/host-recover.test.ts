/**
 * What a start does with the turns the last process left running (recover.ts), against the real
 * channel store and the real libSQL session store: a turn that never reached the model runs
 * again (into the placeholder it had), a finished turn's stored answer is sent (editing the
 * placeholder, not a second message), and a turn cut while it worked is not run again and its
 * sender is told. The whole process SIGKILLed at random is bench/channels-chaos.mjs.
 */
import { join } from 'node:path';
import {
  ChannelHost,
  INTERRUPTED_NOTE,
  type LibsqlChannelStore,
  openChannelStore,
  SenderPolicy,
} from '@oxydra/channels';
import { Admission, type SpawnSpec } from '@oxydra/kernel';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { Channel, ChannelUpdate, Message } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';

const ALICE = '1';

/** A platform whose chat already shows what an earlier process sent (placeholder "…" = message 1). */
class RecordingChannel implements Channel {
  readonly name = 'telegram';
  readonly capabilities = { edit: true, maxMessageLength: 4096, minEditIntervalMs: 0 };
  readonly messages = new Map<string, string>();
  readonly calls: string[] = [];
  constructor(shown: Record<string, string>) {
    for (const [id, text] of Object.entries(shown)) this.messages.set(id, text);
  }
  async start() {
    return { botName: '@bot' };
  }
  async receive(_cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return [];
  }
  async send(_target: { chatId: string }, text: string) {
    const id = String(100 + this.messages.size);
    this.messages.set(id, text);
    this.calls.push(`send ${id}`);
    return { messageId: id };
  }
  async edit(_target: { chatId: string }, id: string, text: string) {
    this.messages.set(id, text);
    this.calls.push(`edit ${id}`);
  }
  async sendQuestion() {
    return { messageId: 'q' };
  }
  async answerButton() {}
  async close() {}
}

let scratch: TempWorkspace;
let dir: string | undefined;
let store: LibsqlChannelStore | undefined;
let memory: MemoryDatabase | undefined;
let host: ChannelHost | undefined;

afterEach(async () => {
  await host?.close(0);
  await store?.close();
  await memory?.close();
  if (dir) scratch.cleanup();
  host = store = memory = dir = undefined;
});

const user = (content: string): Message => ({ role: 'user', content });
const assistant = (content: string, call = false): Message => ({
  role: 'assistant',
  content,
  ...(call ? { toolCalls: [{ id: 'c1', name: 'shell_exec', arguments: {} }] } : {}),
});

/**
 * A channel store holding one message left "running" by a killed process, with the mark its turn
 * began with; the session it ran on holds `before` and then `stored` (what the kernel kept of it).
 */
async function leftRunning(stored: Message[] | undefined, placeholder = '1') {
  scratch = tempWorkspace({ prefix: 'oxydra-channel-recover-' });
  dir = scratch.dir;
  store = openChannelStore(join(dir, 'channels.db'));
  memory = await openMemory({ path: join(dir, 'memory.db') });
  const session = await memory.sessions.create({ userId: 'alice' });
  await memory.sessions.appendTurn(session.id, [user('earlier'), assistant('earlier answer')]);
  const afterSeq = (await memory.sessions.stamp(session.id))!.lastSeq;
  await store.setSession('telegram', `${ALICE}/alice`, session.id);
  const [m] = await store.accept('telegram', '1', [
    {
      conversation: ALICE,
      messageId: '9',
      chatId: ALICE,
      senderId: ALICE,
      userId: 'alice',
      text: 'the question',
    },
  ]);
  await store.claim(m!.seq);
  if (stored !== undefined) {
    await store.markTurn(m!.seq, { sessionId: session.id, afterSeq, placeholderId: placeholder });
    if (stored.length > 0) await memory.sessions.appendTurn(session.id, stored);
  }
  return { seq: m!.seq, sessionId: session.id };
}

async function start(shown: Record<string, string>) {
  const channel = new RecordingChannel(shown);
  const spawned: SpawnSpec[] = [];
  const log: string[] = [];
  const sessions = memory!.sessions;
  host = new ChannelHost({
    userSlots: new Admission(1),
    kernel: {
      sessions,
      agents: {
        spawn: (spec: SpawnSpec) => {
          spawned.push(spec);
          const id = 'agent-1';
          return {
            id,
            events: (async function* () {
              yield { seq: 1, agentId: id, event: { type: 'text_delta' as const, text: 'ran again' } };
            })(),
            result: Promise.resolve({ status: 'completed' as const, text: 'ran again' }),
          } as never;
        },
      },
    },
    channel,
    store: store!,
    senders: new SenderPolicy('telegram', [{ platform_ids: [ALICE], user: 'alice' }], () => {}),
    log: (line) => log.push(line),
  });
  await host.start();
  return { channel, spawned, log };
}

it('a turn whose answer the session holds is answered with it, into its placeholder, and not run again', async () => {
  await leftRunning([user('the question'), assistant('looking'), assistant('the whole answer')]);
  // The killed process had streamed the answer into the placeholder already.
  const { channel, spawned, log } = await start({ '1': 'looking\n\nthe whole answer' });
  await pollUntil(async () => (await store!.stats('telegram')).unsent === 0, 'the answer sent');
  expect(spawned).toEqual([]);
  expect([...channel.messages.values()]).toEqual(['looking\n\nthe whole answer']);
  expect(channel.calls).toEqual(['edit 1']);
  expect((await store!.stats('telegram')).inbound).toMatchObject({ answered: 1 });
  expect(log.join('\n')).toContain('1 had finished and their answers are sent');
});

it('a turn that never reached the model (nothing stored after its mark) runs again into its placeholder', async () => {
  await leftRunning([]);
  const { channel, spawned } = await start({ '1': '…' });
  await pollUntil(async () => (await store!.stats('telegram')).inbound.answered === 1, 'the answer');
  await pollUntil(async () => (await store!.stats('telegram')).unsent === 0, 'the answer sent');
  expect(spawned.map((s) => s.prompt)).toEqual(['the question']);
  // No second placeholder: the first one gets the answer.
  expect([...channel.messages.values()]).toEqual(['ran again']);
  expect(channel.calls.every((call) => call === 'edit 1')).toBe(true);
});

it('a turn with no mark (cut before it began) runs again', async () => {
  await leftRunning(undefined);
  const { channel, spawned } = await start({});
  await pollUntil(async () => (await store!.stats('telegram')).inbound.answered === 1, 'the answer');
  await pollUntil(async () => (await store!.stats('telegram')).unsent === 0, 'the answer sent');
  expect(spawned).toHaveLength(1);
  expect([...channel.messages.values()]).toEqual(['ran again']);
});

it('a turn cut while a tool worked is not run again; its sender is told', async () => {
  await leftRunning([user('the question'), assistant('let me run it', true)]);
  const { channel, spawned } = await start({ '1': 'let me run it' });
  await pollUntil(async () => (await store!.stats('telegram')).unsent === 0, 'the note sent');
  expect(spawned).toEqual([]);
  // The note replaces the placeholder: sent again after a kill, an edit shows it once still.
  expect([...channel.messages.values()]).toEqual([INTERRUPTED_NOTE]);
  expect(channel.calls.every((call) => call === 'edit 1')).toBe(true);
  expect((await store!.stats('telegram')).inbound).toMatchObject({ interrupted: 1 });
});

it('a turn cut after the prompt was stored but before any answer is not run again (the model may have acted)', async () => {
  await leftRunning([user('the question')]);
  const { channel, spawned } = await start({ '1': '…' });
  await pollUntil(async () => (await store!.stats('telegram')).unsent === 0, 'the note sent');
  expect(spawned).toEqual([]);
  expect([...channel.messages.values()]).toEqual([INTERRUPTED_NOTE]);
});
