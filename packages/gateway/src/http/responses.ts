/**
 * POST /v1/responses, the OpenAI Responses API (what the AI SDK's `openai(model)` calls), with
 * the same agent semantics as /v1/chat/completions: stateless, `model` an agent, text output,
 * streamed (typed SSE events) or one response object, `text.format` for structured output.
 */

import { randomUUID } from 'node:crypto';
import { type ResponsesRequest, responsesRequestSchema } from '@oxydra/types/gateway';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import { GatewayError } from '../errors.js';
import { DEFAULT_USER } from '../types.js';
import { answerTurn, replyRefusal, type TurnDeps, type TurnSpec } from './agent-turn.js';
import { type ChatMessageIn, refuseUnsupportedResponses, toTurnInput } from './chat-completions.js';
import { describeIssues, replyError } from './reply-error.js';
import { ResponsesDialect } from './responses-dialect.js';
import { structuredOutput } from './structured-output.js';

/** Responses content part types that carry plain text. */
const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);

/** `instructions` and `input` as chat messages (the shape toTurnInput reads). */
function responsesMessages(body: ResponsesRequest): ChatMessageIn[] {
  const messages: ChatMessageIn[] = body.instructions ? [{ role: 'system', content: body.instructions }] : [];
  if (typeof body.input === 'string') return [...messages, { role: 'user', content: body.input }];
  body.input.forEach((item, index) => {
    if (item.type !== undefined && item.type !== 'message') {
      throw new GatewayError(
        'invalid_request',
        `input[${index}]: items of type "${item.type}" are not supported (only messages: the agent runs its own tools)`,
      );
    }
    const content =
      typeof item.content === 'string' || item.content === undefined
        ? item.content
        : item.content.map((part) =>
            TEXT_PARTS.has(part.type) ? { type: 'text', text: part.text ?? '' } : part,
          );
    messages.push({ role: item.role ?? 'user', content });
  });
  return messages;
}

export function registerResponses(app: FastifyInstance, deps: TurnDeps): void {
  app.post('/v1/responses', async (request, reply) => {
    const parsed = responsesRequestSchema().safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    const body = parsed.data;
    let spec: TurnSpec;
    try {
      refuseUnsupportedResponses(request.body);
      const input = toTurnInput(responsesMessages(body));
      // In this order (a request wrong in both is told about its model first).
      const agentName = deps.hub.checkAgent(body.model);
      const userId = deps.hub.checkUser(body.user, DEFAULT_USER, principalOf(request.raw));
      spec = {
        scope: 'responses',
        agentName,
        userId,
        prompt: input.prompt,
        history: input.history,
        stream: body.stream === true,
        structured: body.text?.format ? structuredOutput(body.text.format, 'text.format', userId) : undefined,
      };
    } catch (error) {
      return replyRefusal(reply, error, body.model);
    }
    const dialect = new ResponsesDialect({
      id: `resp_${randomUUID().replaceAll('-', '')}`,
      created_at: Math.floor(Date.now() / 1000),
      model: body.model,
    });
    return answerTurn(deps, request, reply, spec, dialect);
  });
}
