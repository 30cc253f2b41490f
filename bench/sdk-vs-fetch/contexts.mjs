// bench/sdk-vs-fetch.mjs: the replies the mock streams and the contexts the providers are called with.
import { BENCH_CONTEXT, FILE_READ_CALL, TURN_SENTENCE, TYPICAL_REPLY } from '../provider-turn.mjs';

const words = TURN_SENTENCE.split(' ');
export const REPLIES = {
  typical: TYPICAL_REPLY,
  long: {
    text: Array.from({ length: 500 }, (_, i) => words[i % words.length]).join(' '),
    toolCalls: [FILE_READ_CALL],
    usage: { input: 420, output: 640 },
  },
};
export const context = BENCH_CONTEXT;
export const BASIC_CONTEXT = { model: 'test-model', messages: [{ role: 'user', content: 'hello' }] };
/** A second turn with an attachment, signed reasoning, a tool result and every request option. */
export const RICH_CONTEXT = {
  model: 'bench-model',
  maxOutputTokens: 4000,
  temperature: 0.3,
  reasoning: { effort: 'medium', budgetTokens: 2048 },
  tools: [
    context.tools[0],
    {
      name: 'search',
      description: 'Search the notes',
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          query: { type: 'string' },
          limit: { type: ['integer', 'null'] },
          mode: { enum: ['fast', 'deep'] },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['query'],
        additionalProperties: false,
      },
      safety: 'read_only',
    },
  ],
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'attachment', mimeType: 'image/png', data: 'iVBORw0KGgo=' },
      ],
    },
    {
      role: 'assistant',
      content: 'Let me read the notes.',
      reasoning: [{ text: 'The picture needs context.', signature: 'sig-1' }],
      toolCalls: [
        {
          id: 'call_1',
          name: 'file_read',
          arguments: { path: 'notes.md' },
          metadata: { thoughtSignature: 'ts-1' },
        },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', toolName: 'file_read', content: 'a cat on a mat' },
    { role: 'user', content: 'Thanks, go on.' },
  ],
};
export const KEY = 'sk-bench-0123456789';
