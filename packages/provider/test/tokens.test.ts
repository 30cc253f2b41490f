import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  utf8Bytes,
} from '../src/catalog/index.js';

const require = createRequire(import.meta.url);
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
};
const exact = (text: string): number => o200k.countTokens(text, { disallowedSpecial: new Set() });

describe('countTokens', () => {
  it('estimates o200k tokens, a little over', () => {
    expect(countTokens('')).toBe(0);
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
    expect(countTokens(long)).toBeGreaterThanOrEqual(exact(long));
    expect(countTokens(long)).toBeLessThanOrEqual(exact(long) * 1.15);
  });

  it.each([
    'hello',
    'Hello, world!',
    'x',
    'You are a helpful assistant.',
    'const total = items.reduce((sum, item) => sum + item.price, 0);',
    '{"path": "README.md", "limit": 200}',
    '你好，世界',
    'ünïcödé — “quotes”',
    '😀🚀',
  ])('is close to the exact count on a short text (rounded up): %s', (text) => {
    const count = countTokens(text);
    expect(count).toBeGreaterThanOrEqual(Math.max(1, exact(text) - 1));
    expect(count).toBeLessThanOrEqual(Math.ceil(exact(text) * 1.5) + 2);
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

describe('no tokenizer tables', () => {
  it('ships without gpt-tokenizer: not a dependency, not referenced by the compiled package', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('gpt-tokenizer');
    // tsc -b runs before the tests, so dist/ is what ships.
    const dist = new URL('../dist/', import.meta.url);
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(10);
    // A module specifier naming it ('gpt-tokenizer', 'gpt-tokenizer/cjs/...'), not a comment.
    const loads = /['"`]gpt-tokenizer[/'"`]/;
    for (const file of files) {
      expect(readFileSync(new URL(file, dist), 'utf8'), file).not.toMatch(loads);
    }
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

  it.each(samples)('is never below the count: %s', (text) => {
    expect(countTokens(text)).toBeLessThanOrEqual(utf8Bytes(text));
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
