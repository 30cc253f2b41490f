/**
 * Token counts are cached by message object and, for messages large enough that counting costs
 * more than a content key, by content: a session read again from its store (every message a new
 * object with the same content) is not counted again.
 */
import type { Message } from '@oxydra/types';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const counted = vi.hoisted(() => ({ messages: 0 }));
vi.mock('@oxydra/provider/core', async (importOriginal) => {
  const provider = await importOriginal<typeof import('@oxydra/provider/core')>();
  return {
    ...provider,
    countMessageTokens: (messages: readonly Message[], ...rest: [never?]) => {
      counted.messages += messages.length;
      return provider.countMessageTokens(messages, ...rest);
    },
  };
});

// This file runs in a process shared with other test files (vitest.config.ts): one of them may
// have loaded context-window.js with the real provider, so it is loaded afresh here, on the mock.
vi.resetModules();
const { CONTENT_CACHE_ENTRIES, CONTENT_CACHE_MIN_BYTES, tokensOf } = await import('../src/context-window.js');

const long = (tag: string): Message => ({
  role: 'tool',
  toolCallId: `call-${tag}`,
  toolName: 'file_read',
  content: `${tag}: ${'the harbour crane lifts a container onto the quay. '.repeat(60)}`,
});
/** The same message as a new object, as a store returns it when read again. */
const reloaded = (message: Message): Message => JSON.parse(JSON.stringify(message)) as Message;

beforeEach(() => {
  counted.messages = 0;
});

describe('token counts by content', () => {
  it('counts a large message once, even when it comes back as a new object', () => {
    const message = long('a');
    expect(JSON.stringify(message).length).toBeGreaterThan(CONTENT_CACHE_MIN_BYTES);
    const tokens = tokensOf(message);
    expect(counted.messages).toBe(1);
    expect(tokensOf(message)).toBe(tokens);
    expect(tokensOf(reloaded(message))).toBe(tokens);
    expect(tokensOf(reloaded(message))).toBe(tokens);
    expect(counted.messages).toBe(1);
  });

  it('counts again when anything in the message differs', () => {
    const message = long('b');
    const tokens = tokensOf(message);
    const edited = { ...reloaded(message), content: `${message.content as string} And one more line.` };
    expect(tokensOf(edited)).toBeGreaterThan(tokens);
    const otherTool = { ...reloaded(message), toolName: 'file_read_with_a_much_longer_name' } as Message;
    expect(tokensOf(otherTool)).toBeGreaterThan(tokens);
    expect(counted.messages).toBe(3);
  });

  it('counts small messages by object only: their count is as cheap as a key', () => {
    const small: Message = { role: 'user', content: 'stream please' };
    tokensOf(small);
    tokensOf(small);
    tokensOf(reloaded(small));
    expect(counted.messages).toBe(2);
  });

  it('keeps at most CONTENT_CACHE_ENTRIES contents, dropping the least recently used', () => {
    const first = long('first');
    tokensOf(first);
    const kept = long('kept');
    tokensOf(kept);
    for (let i = 0; i < CONTENT_CACHE_ENTRIES - 1; i++) {
      tokensOf(long(`filler ${i}`));
      // Used again now and then: the least recently used is `first`, not `kept`.
      if (i % 1000 === 0) tokensOf(reloaded(kept));
    }
    counted.messages = 0;
    tokensOf(reloaded(kept));
    expect(counted.messages).toBe(0);
    tokensOf(reloaded(first));
    expect(counted.messages).toBe(1);
  });
});
