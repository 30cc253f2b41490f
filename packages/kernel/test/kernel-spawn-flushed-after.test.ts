/**
 * SpawnSpec.sessionWrites: a caller that commits a flushed write after the run (a gateway turn
 * of a deployment) has the session's messages appended relaxed, every other run's wait for the
 * disk as before; and the first message waits for the caller's own write (`after`). Real kernel
 * on the test's store (libSQL, or PostgreSQL in the store matrix).
 */

import { pollUntil, tempWorkspace } from '@oxydra/testkit/helpers';
import type {
  AppendedTurn,
  Message,
  SessionStateWrite,
  StateWriteOptions,
  TurnEndWrites,
} from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWorkspaceMemory, sessionHooks } from '../src/assemble/memory.js';
import { closeAll, ownerSessions, testKernel } from './helpers.js';

afterEach(closeAll);

describe('SpawnSpec.sessionWrites', () => {
  it("appends the turn's messages relaxed only when the caller flushes after the run", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const sessions = await ownerSessions(kernel);
    const appends: { messages: readonly Message[]; options: StateWriteOptions | undefined }[] = [];
    const original = sessions.appendTurn.bind(sessions);
    vi.spyOn(sessions, 'appendTurn').mockImplementation(async (id, messages, options) => {
      appends.push({ messages, options });
      return original(id, messages, options);
    });

    const relaxed = await kernel.agents.spawn({
      prompt: 'one',
      sessionId: 's',
      userId: 'u',
      sessionWrites: { relaxed: true },
    }).result;
    expect(relaxed.status).toBe('completed');
    expect(appends.map((append) => append.options?.relaxed)).toEqual([true, true]);

    appends.length = 0;
    const flushed = await kernel.agents.spawn({ prompt: 'two', sessionId: 's', userId: 'u' }).result;
    expect(flushed.status).toBe('completed');
    expect(appends.map((append) => append.options?.relaxed ?? false)).toEqual([false, false]);
    // Both turns are stored, in order, whichever way they were committed.
    expect((await sessions.loadMessages('s')).map((message) => message.content)).toEqual([
      'one',
      'noted',
      'two',
      'noted',
    ]);
  });

  it("appends the first message only once the caller's write is stored, and none when it failed", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const sessions = await ownerSessions(kernel);
    const appended = vi.spyOn(sessions, 'appendTurn');
    const spawn = (sessionId: string) => {
      let settle!: (ok: boolean) => void;
      const after = new Promise<void>((resolve, reject) => {
        settle = (ok) => (ok ? resolve() : reject(new Error('the claim was not stored')));
      });
      const handle = kernel.agents.spawn({ prompt: 'one', sessionId, userId: 'u', sessionWrites: { after } });
      return { handle, settle };
    };
    const stored = spawn('g');
    // Running, then a while more: an append not waiting for `after` would have been made by then
    // (the run starts its first append as soon as it begins).
    const status = () => kernel.agents.get(stored.handle.id)?.status;
    await pollUntil(
      () => status() === 'running',
      () => `the agent running (its status: ${status()})`,
      {
        timeoutMs: 1000,
        intervalMs: 50,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(appended).not.toHaveBeenCalled();
    stored.settle(true);
    expect((await stored.handle.result).status).toBe('completed');
    expect((await sessions.loadMessages('g')).map((message) => message.content)).toEqual(['one', 'noted']);

    // What the messages must follow was not stored (a claim whose commit failed): nor are they.
    appended.mockClear();
    const lost = spawn('h');
    lost.settle(false);
    const result = await lost.handle.result;
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/the claim was not stored/);
    expect(appended).not.toHaveBeenCalled();
  });

  it("hands the answer and the audit head's copy to the caller's end of the turn, committed there in one unit", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const sessions = await ownerSessions(kernel);
    const appends: string[] = [];
    const original = sessions.appendTurn.bind(sessions);
    vi.spyOn(sessions, 'appendTurn').mockImplementation(async (id, messages, options) => {
      appends.push(...messages.map((message) => String(message.content)));
      return original(id, messages, options);
    });
    const states: SessionStateWrite[] = [];
    const stateDone: ((written: boolean) => void)[] = [];
    let answer:
      | { messages: readonly Message[]; done: (stored: AppendedTurn | undefined) => void }
      | undefined;
    const end: TurnEndWrites = {
      state: (write) => {
        states.push(write);
        return new Promise((done) => stateDone.push(done));
      },
      append: (messages) => {
        const stored = new Promise<AppendedTurn | undefined>((done) => {
          answer = { messages, done };
        });
        return { stored, withdraw: () => false };
      },
    };
    const result = await kernel.agents.spawn({
      prompt: 'one',
      sessionId: 'e',
      userId: 'u',
      sessionWrites: { relaxed: true, end },
    }).result;
    expect(result.status).toBe('completed');
    // Only the prompt was appended on its own; the answer and the head's copy wait for the end.
    expect(appends).toEqual(['one']);
    expect(answer?.messages.map((message) => message.content)).toEqual(['noted']);
    expect(states.map((write) => write.key)).toEqual(['audit_head']);
    expect(JSON.parse(states[0]!.value)).toEqual(result.auditHead);
    expect((await sessions.loadMessages('e')).map((message) => message.content)).toEqual(['one']);
    // The caller's end: one unit with its own record.
    const ended = await sessions.endTurn('e', {
      messages: answer!.messages,
      states: [...states, { key: 'gateway.turn', value: '{}', expectedEpoch: null }],
    });
    expect(ended.written).toEqual([true, true]);
    answer!.done(ended.appended);
    stateDone[0]!(true);
    expect((await sessions.loadMessages('e')).map((message) => message.content)).toEqual(['one', 'noted']);
    // The next turn of the session reads the answer (the history cache took it on).
    const next = await kernel.agents.spawn({ prompt: 'two', sessionId: 'e', userId: 'u' }).result;
    expect(next.messages.map((message) => message.content)).toEqual(['one', 'noted', 'two', 'noted']);
  });

  it('takes a handed answer back and appends it first when another unit of the run follows it', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-turn-end-' });
    const workspace = scratch.dir;
    const memory = await openWorkspaceMemory(config, workspace, {});
    try {
      const { id: sessionId } = await memory.db.sessions.create();
      const handed: string[] = [];
      let withdrawn = 0;
      const end: TurnEndWrites = {
        state: () => undefined,
        append: (messages) => {
          handed.push(String(messages[0]?.content));
          return {
            stored: new Promise<AppendedTurn | undefined>(() => {}),
            withdraw: () => {
              withdrawn += 1;
              return true;
            },
          };
        },
      };
      const hooks = sessionHooks(memory, { sessionId, config, warn: () => {}, secrets: [], writes: { end } });
      await hooks.persist!([{ role: 'user', content: 'q1' }]);
      await hooks.persist!([{ role: 'assistant', content: 'a1' }]);
      // Handed over, not stored; a tool-calling unit would not have been.
      expect(handed).toEqual(['a1']);
      expect(await memory.db.sessions.countMessages(sessionId)).toBe(1);
      // A steering message continues the run: the answer is taken back and goes first.
      await hooks.persist!([{ role: 'user', content: 'q2' }]);
      expect(withdrawn).toBe(1);
      expect((await memory.db.sessions.loadMessages(sessionId)).map((message) => message.content)).toEqual([
        'q1',
        'a1',
        'q2',
      ]);
    } finally {
      await memory.close();
      scratch.cleanup();
    }
  });
});

const config = agentConfigSchema.parse({
  selection: { provider: 'mock', model: 'm' },
  providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
});
