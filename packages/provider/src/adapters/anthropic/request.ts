/** Context → Anthropic Messages request body. */

import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { AssistantMessage, Context, ToolMessage, ToolSpec, UserMessage } from '@oxydra/types';
import { type AttachmentScope, attachmentKind, unsupportedAttachment } from '../../shared/attachments.js';
import {
  asObjectSchema,
  convertedOnce,
  mergeSameRole,
  splitSystem,
  withoutKeywords,
} from '../../shared/request.js';

/** `max_tokens` is required by the API; this applies when the context sets no limit. */
const DEFAULT_MAX_TOKENS = 8192;

const EFFORT_BUDGET = { low: 2048, medium: 8192, high: 16384 } as const;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * The one place tool schemas are adapted for Anthropic (`$schema` is not accepted); once per tool
 * spec, the result shared by every request.
 */
const anthropicTool: (tool: ToolSpec) => Tool = convertedOnce((tool) => ({
  name: tool.name,
  description: tool.description,
  input_schema: withoutKeywords(asObjectSchema(tool.parameters), ['$schema']) as Tool.InputSchema,
}));

function userBlocks(message: UserMessage, scope: AttachmentScope): ContentBlockParam[] {
  if (typeof message.content === 'string') return [{ type: 'text', text: message.content }];
  return message.content.map((part): ContentBlockParam => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    const kind = attachmentKind(part.mimeType);
    const mime = part.mimeType.toLowerCase();
    if (kind === 'image' && IMAGE_TYPES.has(mime)) {
      return {
        type: 'image',
        source: { type: 'base64', media_type: mime as 'image/png', data: part.data },
      };
    }
    if (kind === 'pdf') {
      return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: part.data } };
    }
    if (mime === 'text/plain') {
      const text = Buffer.from(part.data, 'base64').toString('utf8');
      return {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: text },
        ...(part.name ? { title: part.name } : {}),
      };
    }
    throw unsupportedAttachment(scope, part);
  });
}

/** Thinking first (the API checks the signed blocks lead the turn), then text, then calls. */
function assistantBlocks(message: AssistantMessage): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  for (const block of message.reasoning ?? []) {
    // Unsigned reasoning (from another provider) would be rejected; it is not replayable here.
    if (block.signature !== undefined) {
      blocks.push({ type: 'thinking', thinking: block.text, signature: block.signature });
    } else if (block.encrypted !== undefined && block.id === undefined) {
      blocks.push({ type: 'redacted_thinking', data: block.encrypted });
    }
  }
  // Empty text blocks are rejected by the API.
  if (message.content !== '') blocks.push({ type: 'text', text: message.content });
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments ?? {} });
  }
  return blocks;
}

function toolResult(message: ToolMessage): ContentBlockParam {
  return {
    type: 'tool_result',
    tool_use_id: message.toolCallId,
    content: message.content,
    ...(message.isError ? { is_error: true } : {}),
  };
}

function anthropicMessages(
  context: Context,
  provider: string,
): { system?: string; messages: MessageParam[] } {
  const scope: AttachmentScope = {
    provider,
    model: context.model,
    api: 'the Anthropic Messages API',
    accepted: 'images (JPEG, PNG, GIF, WebP), PDFs and plain text',
  };
  const { system, messages } = splitSystem(context.messages);
  const converted: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  for (const message of messages) {
    if (message.role === 'user') converted.push({ role: 'user', content: userBlocks(message, scope) });
    else if (message.role === 'tool') converted.push({ role: 'user', content: [toolResult(message)] });
    else {
      const content = assistantBlocks(message);
      if (content.length > 0) converted.push({ role: 'assistant', content });
    }
  }
  // Roles must alternate: consecutive tool results (and a user note after them) are one turn.
  const merged = mergeSameRole(converted, (a, b) => ({
    role: a.role,
    content: [...a.content, ...b.content],
  }));
  return { ...(system !== undefined ? { system } : {}), messages: merged };
}

/** Extended thinking when reasoning is asked for: a budget of at least 1024, below max_tokens. */
function thinkingLimits(context: Context): { maxTokens: number; budgetTokens?: number } {
  const maxTokens = context.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  const reasoning = context.reasoning;
  const budget =
    reasoning?.budgetTokens ??
    (reasoning?.effort !== undefined ? EFFORT_BUDGET[reasoning.effort] : undefined);
  if (budget === undefined) return { maxTokens };
  const budgetTokens = Math.max(1024, budget);
  return {
    budgetTokens,
    maxTokens: maxTokens > budgetTokens ? maxTokens : budgetTokens + DEFAULT_MAX_TOKENS,
  };
}

export function anthropicRequest(context: Context, provider: string): MessageCreateParamsStreaming {
  const { system, messages } = anthropicMessages(context, provider);
  const { maxTokens, budgetTokens } = thinkingLimits(context);
  const body: MessageCreateParamsStreaming = {
    model: context.model,
    max_tokens: maxTokens,
    messages,
    stream: true,
  };
  if (system !== undefined) body.system = system;
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = tools.map(anthropicTool);
    body.tool_choice = { type: 'auto' };
  }
  if (budgetTokens !== undefined) body.thinking = { type: 'enabled', budget_tokens: budgetTokens };
  // context.temperature is not sent: the Messages API of SDK 1.x no longer takes a temperature.
  return body;
}
