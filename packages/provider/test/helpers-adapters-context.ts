/** A conversation that exercises every message kind, shared by the request-shape tests. */
import type { Context, ToolSpec } from '@oxydra/types';

export const FILE_READ: ToolSpec = {
  name: 'file_read',
  description: 'Read a file',
  parameters: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      path: { type: 'string', description: 'relative path' },
      range: {
        type: 'object',
        properties: { start: { type: 'integer' }, end: { type: ['integer', 'null'] } },
        additionalProperties: false,
      },
      mode: { const: 'text' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  safety: 'read_only',
};

/** System prompts in two places, parallel calls, two tool results (one an error), a follow-up. */
export const CONVERSATION: Context = {
  model: 'test-model',
  tools: [FILE_READ],
  maxOutputTokens: 1000,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Read a.txt and b.txt' },
    {
      role: 'assistant',
      content: 'Reading both.',
      toolCalls: [
        { id: 'call_1', name: 'file_read', arguments: { path: 'a.txt' }, rawArguments: '{"path":"a.txt"}' },
        { id: 'call_2', name: 'file_read', arguments: { path: 'b.txt' } },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', toolName: 'file_read', content: 'AAA' },
    { role: 'tool', toolCallId: 'call_2', toolName: 'file_read', content: 'no such file', isError: true },
    { role: 'system', content: 'Answer in one line.' },
    { role: 'user', content: 'Summarise' },
  ],
};

/** 1x1 transparent PNG. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
export const PDF_BASE64 = Buffer.from('%PDF-1.4 mock').toString('base64');
