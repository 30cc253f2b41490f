/**
 * POST /v1/chat/completions, OpenAI-compatible: `model` names an agent ("default" or an
 * [agents.<name>] table), the last user message is the prompt and earlier messages the history.
 * Stateless (nothing is stored as a session), under the caller's per-user turn limit (`user`,
 * default "default"). With `stream: true` the answer streams as SSE chat.completion.chunk events
 * ending in `data: [DONE]`; otherwise one chat.completion object. How a turn is run, retried
 * and failed is agent-turn.ts's; unsupported fields are refused by name (unsupported.ts).
 */

import { randomUUID } from 'node:crypto';
import { chatCompletionRequestSchema } from '@oxydra/types/gateway';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../principal.js';
import { DEFAULT_USER } from '../types.js';
import { answerTurn, replyRefusal, type TurnDeps, type TurnSpec } from './agent-turn.js';
import { chatDialect } from './chat-dialect.js';
import { toTurnInput } from './openai-messages.js';
import { describeIssues, replyError } from './reply-error.js';
import { structuredOutput } from './structured-output.js';
import { refuseUnsupportedChat } from './unsupported.js';

export function registerChatCompletions(app: FastifyInstance, deps: TurnDeps): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = chatCompletionRequestSchema().safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    const body = parsed.data;
    let spec: TurnSpec;
    try {
      refuseUnsupportedChat(request.body);
      const input = toTurnInput(body.messages);
      spec = {
        scope: 'chat',
        agentName: deps.hub.checkAgent(body.model),
        userId: deps.hub.checkUser(body.user, DEFAULT_USER, principalOf(request.raw)),
        prompt: input.prompt,
        history: input.history,
        stream: body.stream === true,
        // Only a request that asks for a format pays for one.
        structured: body.response_format
          ? await structuredOutput(
              body.response_format.type === 'json_schema'
                ? { type: 'json_schema', ...body.response_format.json_schema }
                : body.response_format,
              'response_format',
            )
          : undefined,
      };
    } catch (error) {
      return replyRefusal(reply, error, body.model);
    }
    const meta = {
      id: `chatcmpl-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    return answerTurn(
      deps,
      request,
      reply,
      spec,
      chatDialect(meta, body.stream_options?.include_usage === true),
    );
  });
}
