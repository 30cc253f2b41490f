/**
 * POST /v1/chat/completions, OpenAI-compatible: `model` names an agent ("default" or an
 * [agents.<name>] table), the last user message is the prompt and earlier messages the history.
 * Stateless (nothing is stored as a session), under the caller's per-user turn limit (`user`,
 * default "default"). With `stream: true` the answer streams as SSE chat.completion.chunk events
 * ending in `data: [DONE]`; otherwise one chat.completion object. How a turn is run, retried
 * and failed is agent-turn.ts's; unsupported fields are refused by name (refuseUnsupportedChat, below).
 */

import { randomUUID } from 'node:crypto';
import type { FinishReason, Message } from '@oxydra/types';
import { chatCompletionRequestSchema } from '@oxydra/types/gateway';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import { GatewayError } from '../errors.js';
import { DEFAULT_USER } from '../types.js';
import {
  answerTurn,
  chatUsage,
  type Dialect,
  replyRefusal,
  type TurnDeps,
  type TurnSpec,
} from './agent-turn.js';
import { describeIssues, errorBody, replyError } from './reply-error.js';
import type { SseWriter } from './sse.js';
import { structuredOutput } from './structured-output.js';

export function registerChatCompletions(app: FastifyInstance, deps: TurnDeps): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = chatCompletionRequestSchema().safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    const body = parsed.data;
    let spec: TurnSpec;
    try {
      refuseUnsupportedChat(request.body);
      const input = toTurnInput(body.messages);
      // In this order (a request wrong in both is told about its model first).
      const agentName = deps.hub.checkAgent(body.model);
      const userId = deps.hub.checkUser(body.user, DEFAULT_USER, principalOf(request.raw));
      spec = {
        scope: 'chat',
        agentName,
        userId,
        prompt: input.prompt,
        history: input.history,
        stream: body.stream === true,
        // Only a request that asks for a format pays for one.
        structured: body.response_format
          ? structuredOutput(
              body.response_format.type === 'json_schema'
                ? { type: 'json_schema', ...body.response_format.json_schema }
                : body.response_format,
              'response_format',
              userId,
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

/** The chat.completion / chat.completion.chunk spelling of a turn, reasoning as `reasoning_content`. */
interface ChatMeta {
  id: string;
  created: number;
  model: string;
}

function chatDialect(meta: ChatMeta, includeUsage: boolean): Dialect {
  const chunk = (sse: SseWriter, delta: Record<string, unknown>, finishReason: string | null) =>
    sse.send({
      ...meta,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  return {
    start: (sse) => chunk(sse, { role: 'assistant', content: '' }, null),
    text: (delta, sse) => sse && chunk(sse, { content: delta }, null),
    reasoning: (delta, sse) => sse && chunk(sse, { reasoning_content: delta }, null),
    completed: (answer, sse) => {
      chunk(sse, {}, openaiFinishReason(answer.finish));
      if (includeUsage)
        sse.send({
          ...meta,
          object: 'chat.completion.chunk',
          choices: [],
          usage: chatUsage(answer.end.usage),
        });
    },
    // Mid-stream failures travel as an error event, which OpenAI clients raise as an APIError.
    failed: (failure, sse) => sse.send(errorBody(failure.status, failure.code, failure.message)),
    trailer: 'data: [DONE]\n\n',
    body: (answer) => ({
      ...meta,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: answer.text,
            ...(answer.reasoning ? { reasoning_content: answer.reasoning } : {}),
          },
          finish_reason: openaiFinishReason(answer.finish),
          logprobs: null,
        },
      ],
      usage: chatUsage(answer.end.usage),
    }),
  };
}

/**
 * OpenAI chat messages as one agent turn: the last message (the user's) is the prompt and the
 * earlier ones are the history. Only text is taken: string content or `text` parts. Tool
 * messages and assistant tool calls are refused, since the agent runs its own tools.
 */
export interface ChatMessageIn {
  role: string;
  content?: string | Array<{ type: string; text?: string }> | null;
  tool_calls?: unknown[];
}

function textOf(message: ChatMessageIn, index: number): string {
  const { content } = message;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, p) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw new GatewayError(
          'invalid_request',
          `messages[${index}].content[${p}]: only "text" parts are supported, got "${part.type}"`,
        );
      }
      return part.text;
    })
    .join('');
}

export function toTurnInput(messages: readonly ChatMessageIn[]): { prompt: string; history: Message[] } {
  const last = messages.at(-1);
  if (last?.role !== 'user') {
    throw new GatewayError(
      'invalid_request',
      'the last message must be the user\'s (role "user"): it is the prompt',
    );
  }
  const history: Message[] = messages.slice(0, -1).map((message, index): Message => {
    const text = textOf(message, index);
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text };
      case 'user':
        return { role: 'user', content: text };
      case 'assistant':
        if (message.tool_calls && message.tool_calls.length > 0) {
          throw new GatewayError(
            'invalid_request',
            `messages[${index}]: assistant tool calls are not supported (the agent runs its own tools)`,
          );
        }
        return { role: 'assistant', content: text };
      default:
        throw new GatewayError(
          'invalid_request',
          `messages[${index}].role "${message.role}" is not supported (use system, user or assistant)`,
        );
    }
  });
  return { prompt: textOf(last, messages.length - 1), history };
}

/** The agent's own tool calls end inside the run; the caller only sees how its final answer ended. */
function openaiFinishReason(reason: FinishReason | undefined): 'stop' | 'length' | 'content_filter' {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter' || reason === 'refusal') return 'content_filter';
  return 'stop';
}

/**
 * OpenAI request fields the agent cannot honour are refused by name (400 unsupported_parameter)
 * rather than ignored: a client asking for tool calls or several choices would otherwise get an
 * answer of another shape than it asked for and fail later, confusingly.
 */
type Body = Record<string, unknown>;
type Check = (body: Body) => string | undefined;

const present = (value: unknown) => value !== undefined && value !== null;
const nonEmpty = (value: unknown) => (Array.isArray(value) ? value.length > 0 : present(value));

const AGENT_TOOLS = 'the agent runs its own tools; configure them in the agent instead';

const COMMON: Record<string, Check> = {
  tools: (b) => (nonEmpty(b.tools) ? AGENT_TOOLS : undefined),
  tool_choice: (b) =>
    present(b.tool_choice) && b.tool_choice !== 'none' && b.tool_choice !== 'auto' ? AGENT_TOOLS : undefined,
};

const CHAT: Record<string, Check> = {
  ...COMMON,
  functions: (b) => (nonEmpty(b.functions) ? AGENT_TOOLS : undefined),
  function_call: (b) =>
    present(b.function_call) && b.function_call !== 'none' && b.function_call !== 'auto'
      ? AGENT_TOOLS
      : undefined,
  n: (b) =>
    typeof b.n === 'number' && b.n > 1
      ? 'the agent gives one answer per turn; send n = 1 or leave it out'
      : undefined,
  logprobs: (b) =>
    b.logprobs === true ? 'token log probabilities are not available from an agent' : undefined,
  top_logprobs: (b) =>
    typeof b.top_logprobs === 'number' && b.top_logprobs > 0
      ? 'token log probabilities are not available from an agent'
      : undefined,
  audio: (b) => (present(b.audio) ? 'only text output is supported' : undefined),
  modalities: (b) =>
    Array.isArray(b.modalities) && b.modalities.some((kind) => kind !== 'text')
      ? 'only text output is supported; send ["text"] or leave it out'
      : undefined,
  prediction: (b) => (present(b.prediction) ? 'predicted outputs are not supported' : undefined),
};

const RESPONSES: Record<string, Check> = {
  ...COMMON,
  previous_response_id: (b) =>
    present(b.previous_response_id)
      ? 'the gateway stores no responses; send the whole conversation in `input`'
      : undefined,
  conversation: (b) =>
    present(b.conversation)
      ? 'the gateway stores no conversations; send the whole conversation in `input`'
      : undefined,
  background: (b) =>
    b.background === true
      ? 'background responses are not supported; use stream: true for long turns'
      : undefined,
};

function refuse(checks: Record<string, Check>, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [name, check] of Object.entries(checks)) {
    const why = check(body as Body);
    if (why) throw new GatewayError('unsupported_parameter', `unsupported parameter "${name}": ${why}`);
  }
}

const refuseUnsupportedChat = (body: unknown) => refuse(CHAT, body);
export const refuseUnsupportedResponses = (body: unknown) => refuse(RESPONSES, body);
