/**
 * The scripted parts the channel host's tests run on (host.test.ts, host-approvals.test.ts): a
 * platform the test feeds updates to and reads sends from, a kernel whose agents wait until
 * released or stopped (and one that asks for approval), and a real channel database per test.
 */
import { join } from 'node:path';
import { ChannelHost, type LibsqlChannelStore, openChannelStore, SenderPolicy } from '@oxydra/channels';
import { Admission, type SpawnSpec } from '@oxydra/kernel';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { Channel, ChannelButton, ChannelMessage, ChannelUpdate } from '@oxydra/types';

/** An update before the platform gives it its cursor (each member of the union). */
export type NewUpdate = ChannelUpdate extends infer U
  ? U extends unknown
    ? Omit<U, 'cursor'>
    : never
  : never;

/** A platform the test feeds updates to and reads sends from. */
export class ScriptedChannel implements Channel {
  readonly name = 'telegram';
  readonly capabilities = { edit: true, maxMessageLength: 4096, minEditIntervalMs: 0 };
  /** Set by a test to stand for a platform whose markup can hide text (Channel.literal). */
  literal?: (text: string) => string;
  readonly sent: { chatId: string; text: string; id: string; buttons?: ChannelButton[] }[] = [];
  readonly answered: string[] = [];
  /** The note each press was acknowledged with, by press id. */
  readonly notes = new Map<string, string | undefined>();
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
  async sendQuestion(target: { chatId: string }, text: string, buttons: ChannelButton[]) {
    const sent = await this.send(target, text);
    this.sent.at(-1)!.buttons = buttons;
    return sent;
  }
  async answerButton(pressId: string, note?: string) {
    this.answered.push(pressId);
    this.notes.set(pressId, note);
  }
  async acknowledge(cursor: string) {
    this.acknowledged.push({ cursor, storedCursor: await this.store?.cursor('telegram') });
  }
  async close() {
    this.#wake?.();
  }
}

/** A kernel whose agents say "thinking" and then wait until their turn is stopped or released. */
export class ScriptedKernel {
  readonly spawned: SpawnSpec[] = [];
  readonly #release = new Set<() => void>();
  /** Sessions without messages: what a restart reads of them is host-recover.test.ts's, on the real store. */
  sessions = {
    create: async (fields: { userId?: string }) => ({ id: `s-${fields.userId}` }) as never,
    stamp: async () => undefined,
    loadMessages: async () => [],
  };
  /** The kernel's own per-user limit, one run per user here. */
  readonly admission = new Admission(1);
  /**
   * The kernel's approvals as the host sees them (kernel.approvals.respond, approval_requested
   * and approval_resolved in the asking agent's events, "deny" at the timeout); the kernel's own
   * are driven by the real binary in packages/cli/test/channels-e2e.test.ts.
   */
  readonly #listeners = new Map<string, (event: unknown) => void>();
  readonly #pending = new Map<string, (allow: boolean, by: string) => void>();
  #timeoutMs = 0;
  approvals: { respond(id: string, allow: boolean): boolean; pending(): string[] } | undefined;
  enableApprovals(timeoutMs: number): void {
    this.#timeoutMs = timeoutMs;
    this.approvals = {
      respond: (id, allow) => {
        const settle = this.#pending.get(id);
        settle?.(allow, 'respond');
        return settle !== undefined;
      },
      pending: () => [...this.#pending.keys()],
    };
  }
  #ask(agentId: string, summary: string): Promise<boolean> {
    const id = `ap_${this.#pending.size + 1}`;
    const publish = (event: object) => this.#listeners.get(agentId)?.({ ...event, id, agentId });
    return new Promise((resolve) => {
      const settle = (allow: boolean, by: string) => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(timer);
        publish({ type: 'approval_resolved', allow, by });
        resolve(allow);
      };
      const timer = setTimeout(() => settle(false, 'timeout'), this.#timeoutMs);
      this.#pending.set(id, settle);
      const expiresAt = new Date(Date.now() + this.#timeoutMs).toISOString();
      publish({ type: 'approval_requested', tool: 'shell_exec', summary, expiresAt });
    });
  }
  agents = {
    spawn: (spec: SpawnSpec) => {
      this.spawned.push(spec);
      if (String(spec.prompt).startsWith('privileged')) return this.#privileged(spec);
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
  /** An agent whose one tool call asks for approval, then says whether it ran. */
  #privileged(spec: SpawnSpec) {
    const id = `agent-${this.spawned.length}`;
    const events: unknown[] = [];
    let wake: () => void = () => {};
    this.#listeners.set(id, (event) => {
      events.push(event);
      wake();
    });
    // Without somebody to answer, the kernel denies at once.
    // `privileged: run <command>` asks for that command; any other privileged prompt, rm -rf build.
    const command = /^privileged: run ([\s\S]+)$/.exec(String(spec.prompt))?.[1] ?? 'rm -rf build';
    const decided = spec.askApprovals ? this.#ask(id, command) : Promise.resolve(false);
    let done = false;
    void decided.then(() => {
      done = true;
      wake();
    });
    const result = decided.then((allow) => ({
      status: 'completed' as const,
      text: allow ? 'ran rm -rf build' : 'not allowed',
    }));
    return {
      id,
      events: (async function* () {
        let seq = 0;
        for (;;) {
          while (events.length > 0) yield { seq: ++seq, agentId: id, event: events.shift() };
          if (done) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      })(),
      result,
    } as never;
  }

  releaseAll(): void {
    for (const release of this.#release) release();
    this.#release.clear();
  }
}

export const ALICE = '1';
export const BOB = '2';
export const GROUP = '-100';

export function message(
  sender: string,
  text: string,
  id: string,
  extra: Partial<ChannelMessage> = {},
): NewUpdate {
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

/** What the running test's setup() opened; torn down by teardown() (each file's afterEach). */
export const harness: {
  dir?: string | undefined;
  folder?: TempWorkspace | undefined;
  host?: ChannelHost | undefined;
  store?: LibsqlChannelStore | undefined;
} = {};

export async function teardown(): Promise<void> {
  await harness.host?.close(0);
  await harness.store?.close();
  harness.folder?.cleanup();
  harness.host = undefined;
  harness.folder = undefined;
  harness.store = undefined;
  harness.dir = undefined;
}

/** A platform with files: what it is sent, and one attachment it serves. */
export class FilesChannel extends ScriptedChannel {
  override readonly capabilities = { edit: true, maxMessageLength: 4096, minEditIntervalMs: 0, files: true };
  readonly files: { name: string; bytes: Uint8Array }[] = [];
  async sendFile(target: { chatId: string }, file: { name: string; bytes: Uint8Array }) {
    this.files.push(file);
    return this.send(target, `[file ${file.name}]`);
  }
  async fetchAttachment() {
    return Buffer.from('%PDF-1.4\n%%EOF\n');
  }
}

export async function setup(
  unknownSenders: 'ignore' | 'pair' = 'ignore',
  files = false,
  options: { approvalTimeoutMs?: number; maxConcurrentTurns?: number } = {},
) {
  const scratch = tempWorkspace({ prefix: 'oxydra-channel-host-' });
  const dir = scratch.dir;
  const store = openChannelStore(join(dir, 'channels.db'));
  harness.dir = dir;
  harness.folder = scratch;
  harness.store = store;
  const channel = files ? new FilesChannel() : new ScriptedChannel();
  channel.store = store;
  const kernel = new ScriptedKernel();
  if (options.approvalTimeoutMs !== undefined) kernel.enableApprovals(options.approvalTimeoutMs);
  const log: string[] = [];
  const senders = new SenderPolicy(
    'telegram',
    [
      { platform_ids: [ALICE], user: 'alice' },
      { platform_ids: [BOB], user: 'bob' },
    ],
    (line) => log.push(line),
    unknownSenders,
  );
  const host = new ChannelHost({
    kernel,
    userSlots: kernel.admission,
    channel,
    store,
    senders,
    log: (line) => log.push(line),
    ...(files ? { workspace: dir } : {}),
    ...(options.maxConcurrentTurns !== undefined ? { maxConcurrentTurns: options.maxConcurrentTurns } : {}),
  });
  harness.host = host;
  await host.start();
  return { channel, kernel, log };
}

export const texts = (channel: ScriptedChannel) => channel.sent.map((m) => m.text);

export const direct = (sender: string, text: string, id: string, extra: Partial<ChannelMessage> = {}) =>
  message(sender, text, id, { conversation: sender, chatId: sender, chatKind: 'private', ...extra });
