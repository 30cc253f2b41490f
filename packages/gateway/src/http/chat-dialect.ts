/** The chat.completion / chat.completion.chunk spelling of a turn, reasoning as `reasoning_content`. */
import type { Dialect } from './agent-turn.js';
import { openaiFinishReason } from './openai-messages.js';
import { errorBody } from './reply-error.js';
import type { SseWriter } from './sse.js';
import { chatUsage } from './turn-tally.js';

export interface ChatMeta {
  id: string;
  created: number;
  model: string;
}

export function chatDialect(meta: ChatMeta, includeUsage: boolean): Dialect {
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
