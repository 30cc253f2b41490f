/** Context → Chat Completions request body. */
import type { AssistantMessage, ContentPart, Context, ToolSpec, UserMessage } from '@oxydra/types';
import {
  type AttachmentScope,
  attachmentKind,
  dataUrl,
  unsupportedAttachment,
} from '../../shared/attachments.js';
import {
  argumentsText,
  asObjectSchema,
  convertedOnce,
  splitSystem,
  withoutKeywords,
} from '../../shared/request.js';
import type {
  ChatAssistantMessage,
  ChatContentPart,
  ChatFunctionTool,
  ChatMessage,
  ChatRequest,
} from './types.js';

export interface ChatRequestScope {
  provider: string;
  baseURL: string;
}

/**
 * The one place tool schemas are adapted for Chat Completions (`$schema` is not accepted); once
 * per tool spec, the result shared by every request.
 */
const chatToolSchema: (tool: ToolSpec) => ChatFunctionTool = convertedOnce((tool) => ({
  type: 'function',
  function: {
    name: tool.name,
    description: tool.description,
    parameters: withoutKeywords(asObjectSchema(tool.parameters), ['$schema']),
  },
}));

function userContent(message: UserMessage, scope: AttachmentScope): string | ChatContentPart[] {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part: ContentPart): ChatContentPart => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (attachmentKind(part.mimeType) !== 'image') throw unsupportedAttachment(scope, part);
    return { type: 'image_url', image_url: { url: dataUrl(part) } };
  });
}

function assistantParam(message: AssistantMessage): ChatAssistantMessage {
  const param: ChatAssistantMessage = { role: 'assistant', content: message.content };
  const calls = message.toolCalls ?? [];
  if (calls.length > 0) {
    param.tool_calls = calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: argumentsText(call) },
    }));
  }
  // Only plain reasoning (no signature or encrypted blob) came from a chat server's
  // reasoning_content; other providers' blocks mean nothing here.
  const reasoning = (message.reasoning ?? [])
    .filter(
      (block) => block.signature === undefined && block.encrypted === undefined && block.id === undefined,
    )
    .map((block) => block.text)
    .join('');
  if (reasoning !== '') param.reasoning_content = reasoning;
  return param;
}

function chatMessages(context: Context, provider: string): ChatMessage[] {
  const scope: AttachmentScope = {
    provider,
    model: context.model,
    api: 'the OpenAI Chat Completions API',
    accepted: 'images',
  };
  const { system, messages } = splitSystem(context.messages);
  const out: ChatMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'user') out.push({ role: 'user', content: userContent(message, scope) });
    else if (message.role === 'assistant') out.push(assistantParam(message));
    else out.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
  }
  return out;
}

/**
 * OpenAI's reasoning models reject `max_tokens` ("Use 'max_completion_tokens' instead") while
 * many compatible servers only know `max_tokens`, so the field follows the host.
 */
function usesMaxCompletionTokens(baseURL: string): boolean {
  try {
    const host = new URL(baseURL).hostname;
    return host === 'api.openai.com' || host.endsWith('.openai.azure.com');
  } catch {
    return false;
  }
}

export function chatRequest(context: Context, scope: ChatRequestScope): ChatRequest {
  const body: ChatRequest = {
    model: context.model,
    messages: chatMessages(context, scope.provider),
    stream: true,
    stream_options: { include_usage: true },
  };
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = tools.map(chatToolSchema);
    body.tool_choice = 'auto';
  }
  if (context.maxOutputTokens !== undefined) {
    if (usesMaxCompletionTokens(scope.baseURL)) body.max_completion_tokens = context.maxOutputTokens;
    else body.max_tokens = context.maxOutputTokens;
  }
  if (context.temperature !== undefined) body.temperature = context.temperature;
  if (context.reasoning?.effort !== undefined) body.reasoning_effort = context.reasoning.effort;
  return body;
}
