/**
 * OpenAI chat messages as one agent turn: the last message (the user's) is the prompt and the
 * earlier ones are the history. Only text is taken: string content or `text` parts. Tool
 * messages and assistant tool calls are refused, since the agent runs its own tools.
 */
import type { FinishReason, Message } from '@oxydra/types';
import { GatewayError } from '../errors.js';

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
export function openaiFinishReason(reason: FinishReason | undefined): 'stop' | 'length' | 'content_filter' {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter' || reason === 'refusal') return 'content_filter';
  return 'stop';
}
