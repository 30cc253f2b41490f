/**
 * POST /v1/chat/completions, OpenAI-compatible: `model` names an agent ("default" or an
 * [agents.<name>] table), the last user message is the prompt and earlier messages the history.
 * Stateless (nothing is stored as a session), under the caller's per-user turn limit (`user`,
 * default "default"). With `stream: true` the answer streams as SSE chat.completion.chunk events
 * ending in `data: [DONE]`; otherwise one chat.completion object. GET /v1/models lists the agents.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  Cancelled,
  chatCompletionRequestSchema,
  type FinishReason,
  type RunEndEvent,
  type StreamEvent,
} from '@oxydra/types';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GatewayError, HTTP_STATUS, publicError } from '../errors.js';
import type { GatewayHub } from '../hub.js';
import { DEFAULT_USER } from '../types.js';
import { openaiFinishReason, toTurnInput } from './openai-messages.js';
import { describeIssues, errorBody, replyError } from './reply-error.js';

/** HTTP status of a failed run, by its code. */
function failureStatus(code: string): number {
  if (code === 'provider_error') return 502;
  if (code === 'cancelled') return 503;
  return 500;
}

export function registerChatCompletions(
  app: FastifyInstance,
  hub: GatewayHub,
  agents: readonly string[],
): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: ['default', ...agents].map((id) => ({ id, object: 'model', created: 0, owned_by: 'oxydra' })),
  }));

  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = chatCompletionRequestSchema.safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    const body = parsed.data;
    let agentName: string;
    let userId: string;
    let input: ReturnType<typeof toTurnInput>;
    try {
      agentName = hub.checkAgent(body.model);
      userId = hub.checkUser(body.user, DEFAULT_USER);
      input = toTurnInput(body.messages);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'unknown_agent') {
        return replyError(
          reply,
          404,
          'model_not_found',
          `model "${body.model}" is not an agent of this gateway: ${error.message}`,
        );
      }
      if (error instanceof GatewayError)
        return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
      throw error;
    }

    const controller = new AbortController();
    let finished = false;
    // A client that hangs up cancels the turn (while queued, too).
    reply.raw.on('close', () => {
      if (!finished) controller.abort(new Cancelled('the HTTP client went away'));
    });
    let started: Awaited<ReturnType<GatewayHub['startStateless']>>;
    try {
      started = await hub.startStateless(
        { userId, agentName, prompt: input.prompt, history: input.history, attachments: [] },
        controller,
      );
    } catch (error) {
      finished = true;
      const { code, message } = publicError(error);
      const status = error instanceof GatewayError ? HTTP_STATUS[error.code] : failureStatus(code);
      return replyError(reply, status, code, message);
    }
    const meta = {
      id: `chatcmpl-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    try {
      if (body.stream === true) {
        reply.hijack();
        await streamCompletion(
          reply.raw,
          started.handle.events,
          meta,
          body.stream_options?.include_usage === true,
        );
        return reply;
      }
      return await wholeCompletion(reply, started.handle.events, meta);
    } finally {
      finished = true;
      started.done();
    }
  });
}

interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

function usageOf(end: RunEndEvent) {
  const prompt = end.usage.inputTokens ?? 0;
  const completion = end.usage.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function wholeCompletion(
  reply: FastifyReply,
  events: AsyncIterable<StreamEvent>,
  meta: CompletionMeta,
): Promise<FastifyReply> {
  let finish: FinishReason | undefined;
  let end: RunEndEvent | undefined;
  for await (const event of events) {
    if (event.type === 'finish') finish = event.reason;
    if (event.type === 'run_completed' || event.type === 'run_failed') end = event;
  }
  if (!end || end.type === 'run_failed') {
    const code = end?.error?.code ?? 'internal_error';
    return replyError(
      reply,
      failureStatus(code),
      code,
      end?.error?.message ?? 'the turn ended without an answer',
    );
  }
  return reply.send({
    ...meta,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: end.text },
        finish_reason: openaiFinishReason(finish),
        logprobs: null,
      },
    ],
    usage: usageOf(end),
  });
}

async function streamCompletion(
  raw: ServerResponse,
  events: AsyncIterable<StreamEvent>,
  meta: CompletionMeta,
  includeUsage: boolean,
): Promise<void> {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (data: unknown) => {
    if (!raw.destroyed) raw.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    send({
      ...meta,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  chunk({ role: 'assistant', content: '' }, null);
  let finish: FinishReason | undefined;
  for await (const event of events) {
    if (event.type === 'text_delta' && event.text !== '') chunk({ content: event.text }, null);
    else if (event.type === 'finish') finish = event.reason;
    else if (event.type === 'run_completed') {
      chunk({}, openaiFinishReason(finish));
      if (includeUsage)
        send({ ...meta, object: 'chat.completion.chunk', choices: [], usage: usageOf(event) });
    } else if (event.type === 'run_failed') {
      const code = event.error?.code ?? 'internal_error';
      // Mid-stream failures travel as an error event, which OpenAI clients raise as an APIError.
      send(errorBody(failureStatus(code), code, event.error?.message ?? 'the turn failed'));
    }
  }
  if (!raw.destroyed) raw.end('data: [DONE]\n\n');
}
