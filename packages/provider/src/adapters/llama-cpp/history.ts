/**
 * Oxydra's messages as node-llama-cpp's chat history. Tool calls become the model's function
 * calls with their results filled in from the tool messages that answer them, which is how the
 * library's chat wrappers render a finished call (each model family its own way).
 */
import { type Message, messageText, type ToolSpec } from '@oxydra/types';
import type {
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  ChatModelResponse,
} from 'node-llama-cpp';
import { toGrammarSchema } from './schema.js';

export function toChatHistory(messages: readonly Message[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  for (const message of messages) {
    if (message.role === 'system') history.push({ type: 'system', text: message.content });
    else if (message.role === 'user') history.push({ type: 'user', text: messageText(message) });
    else if (message.role === 'assistant') {
      const response: ChatModelResponse['response'] = message.content === '' ? [] : [message.content];
      for (const call of message.toolCalls ?? []) {
        const item: ChatModelFunctionCall = {
          type: 'functionCall',
          name: call.name,
          params: call.arguments,
          result: undefined,
        };
        calls.set(call.id, item);
        response.push(item);
      }
      history.push({ type: 'model', response });
    } else {
      const call = calls.get(message.toolCallId);
      // A result whose call is not in the history (cut by summarizing) is told as plain text.
      if (call) call.result = message.content;
      else history.push({ type: 'user', text: `Result of ${message.toolName}: ${message.content}` });
    }
  }
  return history;
}

/** The offered tools as the library's functions (their parameters reduced to what a grammar can hold). */
export function toChatFunctions(tools: readonly ToolSpec[]): ChatModelFunctions {
  return Object.fromEntries(
    tools.map((tool) => [
      tool.name,
      { description: tool.description, params: toGrammarSchema(tool.parameters) },
    ]),
  );
}

/** Whether the model is answering a person (the last message is theirs), not a tool result. */
export function answersUser(messages: readonly Message[]): boolean {
  return messages.at(-1)?.role === 'user';
}
