import { execFileSync } from 'node:child_process';
import type { Message, ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_TOKEN_ESTIMATE,
  countMessageTokens,
  countTokens,
  countToolTokens,
  MESSAGE_OVERHEAD_TOKENS,
  messageTokensUpperBound,
  REPLY_PRIMING_TOKENS,
  toolTokensUpperBound,
} from '../src/catalog/index.js';

describe('countTokens', () => {
  it('counts o200k tokens', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello')).toBe(1);
    expect(countTokens('Hello, world!')).toBe(4);
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
    expect(countTokens(long)).toBeGreaterThan(900);
    expect(countTokens(long)).toBeLessThan(1100);
  });

  it('counts special-token text in user content as ordinary text instead of throwing', () => {
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });
});

describe('countMessageTokens', () => {
  it('adds a per-message overhead and the reply priming', () => {
    const messages: Message[] = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Hello, world!' },
    ];
    expect(countMessageTokens(messages)).toBe(
      countTokens('You are helpful.') +
        countTokens('Hello, world!') +
        2 * MESSAGE_OVERHEAD_TOKENS +
        REPLY_PRIMING_TOKENS,
    );
    expect(countMessageTokens([])).toBe(0);
  });

  it('counts tool calls, tool results, attachments and tool definitions', () => {
    const base: Message[] = [{ role: 'user', content: 'read it' }];
    const withCall: Message[] = [
      ...base,
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'README.md' } }],
      },
      { role: 'tool', toolCallId: 'c1', toolName: 'file_read', content: 'x'.repeat(400) },
    ];
    expect(countMessageTokens(withCall)).toBeGreaterThan(
      countMessageTokens(base) + 2 * MESSAGE_OVERHEAD_TOKENS + 5,
    );

    const image: Message[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'attachment', mimeType: 'image/png', data: 'iVBORw0KGgo=' },
        ],
      },
    ];
    expect(countMessageTokens(image)).toBe(
      countTokens('what is this?') +
        ATTACHMENT_TOKEN_ESTIMATE +
        MESSAGE_OVERHEAD_TOKENS +
        REPLY_PRIMING_TOKENS,
    );

    const tools: ToolSpec[] = [
      {
        name: 'file_read',
        description: 'Read a file',
        parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
        safety: 'read_only',
      },
    ];
    expect(countToolTokens(tools)).toBeGreaterThan(10);
    expect(countMessageTokens(base, tools)).toBe(countMessageTokens(base) + countToolTokens(tools));
  });
});

describe('lazy encoder', () => {
  it('is not loaded by importing the catalog, only by the first count', () => {
    // A fresh process, on the compiled package (tsc -b runs before the tests), so the require
    // cache shows exactly what importing the catalog loads.
    const compiled = new URL('../dist/catalog/index.js', import.meta.url).pathname;
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('gpt-tokenizer'));
      const { countTokens } = await import(${JSON.stringify(compiled)});
      const before = loaded();
      countTokens('hi');
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ before: false, after: true });
  });
});

describe('byte upper bound', () => {
  const samples = [
    'plain English text with some words in it.',
    'const x = { "a": [1, 2, 3], b: `template ` + y }; // code',
    'ünïcödé — “quotes”, emoji 😀🚀, CJK 漢字かなカナ, Arabic مرحبا',
    '\n\n\t  whitespace   runs\n',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    JSON.stringify({ deeply: { nested: { json: ['with', 'arrays', 42, null, true] } } }),
  ];

  it.each(samples)('never undercounts the exact token count: %s', (text) => {
    const messages = [
      { role: 'user' as const, content: text },
      {
        role: 'assistant' as const,
        content: text,
        toolCalls: [{ id: '1', name: 'file_read', arguments: { path: text } }],
      },
      { role: 'tool' as const, toolCallId: '1', toolName: 'file_read', content: text },
    ];
    for (const message of messages) {
      expect(messageTokensUpperBound(message)).toBeGreaterThanOrEqual(
        countMessageTokens([message]) - REPLY_PRIMING_TOKENS,
      );
    }
    const tool = {
      name: 'x',
      description: text,
      parameters: { type: 'object' },
      safety: 'read_only' as const,
    };
    expect(toolTokensUpperBound([tool])).toBeGreaterThanOrEqual(countToolTokens([tool]));
  });
});
