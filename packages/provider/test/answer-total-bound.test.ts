/**
 * One streamed answer is bounded as a whole, not only event by event (MAX_EVENT_CHARS): a server
 * sending well-formed text deltas of 64 KiB, one after another and never an end, had each kept in
 * the answer until V8's string limit failed the run as an internal error (the binary past 1 GB on
 * the way). Every adapter that streams over HTTP, its own SSE reader or the Anthropic SDK's, now
 * refuses the answer at MAX_ANSWER_BYTES and lets the connection go. Real HTTP servers on loopback.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES } from '../src/shared/bounded.js';
import { collectResponse } from '../src/shared/stream.js';
import { ADAPTERS_AT_PATHS, BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';
import { closeEndlessServers, SOCKET_SLACK_BYTES, servers } from './helpers-endless.js';

afterEach(closeEndlessServers);

const context: Context = { ...BASIC_CONTEXT, model: 'test-model' };
const piece = 'x'.repeat(64 * 1024);

/** Each API's first events, then its text delta, sent again and again. */
function framesFor(name: string): { head: string; delta: string } {
  const sse = (data: object, event?: string) =>
    `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
  if (name.startsWith('openai chat')) {
    return {
      head: '',
      delta: sse({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        choices: [{ index: 0, delta: { content: piece }, finish_reason: null }],
      }),
    };
  }
  if (name.startsWith('openai responses')) {
    return {
      head:
        sse(
          {
            type: 'response.created',
            response: { id: 'r', object: 'response', status: 'in_progress', output: [] },
          },
          'response.created',
        ) +
        sse(
          {
            type: 'response.output_item.added',
            output_index: 0,
            item: { id: 'm1', type: 'message', role: 'assistant', content: [] },
          },
          'response.output_item.added',
        ),
      delta: sse(
        {
          type: 'response.output_text.delta',
          item_id: 'm1',
          output_index: 0,
          content_index: 0,
          delta: piece,
        },
        'response.output_text.delta',
      ),
    };
  }
  if (name.startsWith('gemini')) {
    return {
      head: '',
      delta: sse({ candidates: [{ content: { role: 'model', parts: [{ text: piece }] }, index: 0 }] }),
    };
  }
  return {
    head:
      sse(
        {
          type: 'message_start',
          message: {
            id: 'msg',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'm',
            stop_reason: null,
            usage: { input_tokens: 1, output_tokens: 1 },
          },
        },
        'message_start',
      ) +
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ),
    delta: sse(
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } },
      'content_block_delta',
    ),
  };
}

async function endlessEvents(name: string): Promise<{ base: string; closed: Promise<number> }> {
  const { head, delta } = framesFor(name);
  let done: (sent: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    done = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = head.length;
    res.write(head);
    const pump = () => {
      while (!res.destroyed && res.write(delta)) sent += delta.length;
      sent += delta.length;
    };
    res.on('drain', pump);
    res.on('close', () => done(sent));
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed };
}

describe('an answer of endless well-formed events', () => {
  for (const [name, create, path] of ADAPTERS_AT_PATHS) {
    it(`${name}: is refused past MAX_ANSWER_BYTES, and the connection let go`, async () => {
      const server = await endlessEvents(name);
      const provider = create({ name: 'endless', baseURL: `${server.base}${path}`, apiKey: TEST_KEY });
      const failure = await collectResponse(provider.stream(context)).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      // A refusal never retried, naming the bound; the server saw the client leave past it.
      expect(failure instanceof ProviderError && failure.kind).toBe('bad_request');
      expect(String(failure)).toContain('in one answer');
      const sent = await server.closed;
      expect([sent > MAX_ANSWER_BYTES, sent < MAX_ANSWER_BYTES + SOCKET_SLACK_BYTES]).toEqual([true, true]);
    }, 60_000);
  }
});
