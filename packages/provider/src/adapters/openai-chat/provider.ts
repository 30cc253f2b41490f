/**
 * OpenAI Chat Completions (`type: openai`): OpenAI and every OpenAI-compatible server.
 * POST {baseURL}/chat/completions on `fetch`, the stream read with eventsource-parser (../openai/wire.ts).
 * Below: the request built from the context, the stream chunks mapped to ModelEvents, and the
 * wire types of both.
 */

import type {
  AssistantMessage,
  ContentPart,
  Context,
  FinishReason,
  JsonSchema,
  ModelEvent,
  Provider,
  ToolSpec,
  Usage,
  UserMessage,
} from '@oxydra/types';
import {
  type AttachmentScope,
  attachmentKind,
  dataUrl,
  unsupportedAttachment,
} from '../../shared/attachments.js';
import { MAX_EVENT_CHARS, readJsonBounded } from '../../shared/bounded.js';
import { streamEndedEarly } from '../../shared/errors.js';
import { field, makeUsage, ToolCallAssembler, type ToolCallUpdate } from '../../shared/events.js';
import type { HttpTransport } from '../../shared/http.js';
import {
  argumentsText,
  asObjectSchema,
  type ConversationMessage,
  conversationJson,
  convertedOnce,
  itemsJsonOnce,
  JSON_MARK,
  jsonList,
  splitSystem,
  toolsJsonOnce,
  withoutKeywords,
} from '../../shared/request.js';
import { type AdapterOptions, defineAdapter } from '../define.js';
import {
  describeOpenAIError,
  openAITransport,
  openAIUrl,
  postOpenAI,
  translateOpenAIStream,
} from '../openai/wire.js';

/**
 * The most a completion answered as one JSON body may hold: what one streamed event may
 * (MAX_EVENT_CHARS), since it carries what the stream's events would.
 */
export const MAX_COMPLETION_BYTES = MAX_EVENT_CHARS;

async function* streamChat(
  transport: HttpTransport,
  url: string,
  options: AdapterOptions,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const body = chatRequestJson(context, { provider: options.name, baseURL: options.baseURL });
  const response = await postOpenAI(transport, url, body, signal);
  const translator = new ChatStreamTranslator();
  // Some compatible servers ignore `stream: true` and answer with one JSON body: read as SSE it
  // would hold no events, an empty answer.
  if (response.headers.get('content-type')?.includes('application/json')) {
    const completion = await readJsonBounded(response, MAX_COMPLETION_BYTES, 'a chat completion');
    yield* translator.handleCompletion(completion as ChatCompletion);
    yield* translator.end();
    return;
  }
  yield* translateOpenAIStream<ChatCompletionChunk>(response, translator);
}

export function createOpenAIChatProvider(options: AdapterOptions): Provider {
  const transport = openAITransport(options);
  const url = openAIUrl(options.baseURL, '/chat/completions');
  return defineAdapter(options, 'openai', (context) => ({
    describe: describeOpenAIError,
    run: (signal) => streamChat(transport, url, options, context, signal),
  }));
}

/** Context → Chat Completions request body. */

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

/** The body's JSON with the tool list as chatToolSchema gives it, each tool's text made once. */
const chatBodyJson = toolsJsonOnce(chatToolSchema);

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
  const { system, messages } = splitSystem(context.messages);
  const scope = chatScope(context, provider);
  const out: ChatMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
  for (const message of messages) out.push(chatMessage(message, scope));
  return out;
}

function chatScope(context: Context, provider: string): AttachmentScope {
  return { provider, model: context.model, api: 'the OpenAI Chat Completions API', accepted: 'images' };
}

function chatMessage(message: ConversationMessage, scope: AttachmentScope): ChatMessage {
  if (message.role === 'user') return { role: 'user', content: userContent(message, scope) };
  if (message.role === 'assistant') return assistantParam(message);
  return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
}

/** Each conversation message's JSON, made once per message object (itemsJsonOnce). */
const chatMessageJson = itemsJsonOnce((message, scope: AttachmentScope) => [chatMessage(message, scope)]);

/** JSON.stringify(chatMessages(context, provider)), the same bytes. */
function chatMessagesJson(context: Context, provider: string): string {
  const { system, messages } = splitSystem(context.messages);
  const head = system === undefined ? undefined : JSON.stringify({ role: 'system', content: system });
  return jsonList(conversationJson(messages, chatScope(context, provider), chatMessageJson, head));
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
  return buildChatRequest(context, scope, (tools) => tools.map(chatToolSchema));
}

/** The request body as sent: JSON.stringify(chatRequest(...)), each tool's schema written once. */
export function chatRequestJson(context: Context, scope: ChatRequestScope): string {
  return chatBodyJson(
    context.tools,
    (list) => buildChatRequest(context, scope, list, JSON_MARK as unknown as ChatMessage[]),
    ['messages', chatMessagesJson(context, scope.provider)],
  );
}

function buildChatRequest(
  context: Context,
  scope: ChatRequestScope,
  toolList: (tools: readonly ToolSpec[]) => ChatFunctionTool[],
  messages: ChatMessage[] = chatMessages(context, scope.provider),
): ChatRequest {
  const body: ChatRequest = {
    model: context.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = toolList(tools);
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

/**
 * Chat Completions stream chunks → StreamEvents. Pure and synchronous: one chunk in, the
 * events it completes out; `end()` when the stream closed.
 */

/** Fields compatible servers add to the delta (DeepSeek `reasoning_content`, vLLM/OpenRouter `reasoning`). */
interface DeltaExtras {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

function chatUsage(usage: unknown): Usage {
  return makeUsage(
    {
      inputTokens: field(usage, 'prompt_tokens'),
      outputTokens: field(usage, 'completion_tokens'),
      totalTokens: field(usage, 'total_tokens'),
      cacheReadTokens: field(usage, 'prompt_tokens_details', 'cached_tokens'),
      reasoningTokens: field(usage, 'completion_tokens_details', 'reasoning_tokens'),
    },
    usage,
  );
}

function normalise(raw: string, madeCalls: boolean): FinishReason {
  switch (raw) {
    case 'stop':
      // Some compatible servers (Ollama, llama.cpp) say "stop" after tool calls.
      return madeCalls ? 'tool_calls' : 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export class ChatStreamTranslator {
  private readonly tools = new ToolCallAssembler();
  /** Wire index → our index; a server reusing an index for a new call id gets a fresh one. */
  private readonly indexes = new Map<number, { index: number; id: string | undefined }>();
  private finishReason: string | undefined;
  private usage: Usage | undefined;

  handle(chunk: ChatCompletionChunk): ModelEvent[] {
    const events: ModelEvent[] = [];
    if (chunk.usage) this.usage = chatUsage(chunk.usage);
    const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
    if (choice === undefined) return events;
    const delta = choice.delta ?? {};
    const extras = delta as DeltaExtras;
    const reasoning =
      typeof extras.reasoning_content === 'string' ? extras.reasoning_content : extras.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '')
      events.push({ type: 'reasoning_delta', text: reasoning });
    if (typeof delta.content === 'string' && delta.content !== '') {
      events.push({ type: 'text_delta', text: delta.content });
    }
    for (const call of delta.tool_calls ?? []) {
      const index = this.indexFor(call.index ?? 0, call.id ?? undefined, call.function?.name ?? undefined);
      // One shape for every fragment (the assembler skips the empty ones, as before).
      const update: ToolCallUpdate = {
        id: call.id || undefined,
        name: call.function?.name || undefined,
        argumentsDelta: call.function?.arguments || undefined,
      };
      events.push(...this.tools.update(index, update));
    }
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      // The calls are complete once the model says why it stopped.
      events.push(...this.tools.endAll());
    }
    return events;
  }

  /** A non-streaming body (servers that ignore `stream: true`), as one big chunk. */
  handleCompletion(completion: ChatCompletion): ModelEvent[] {
    const choice = completion.choices?.[0];
    const message = choice?.message;
    const chunk = {
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      usage: completion.usage ?? null,
      choices:
        choice === undefined
          ? []
          : [
              {
                index: 0,
                finish_reason: choice.finish_reason,
                delta: {
                  ...(message as object),
                  tool_calls: (message?.tool_calls ?? []).map((call, index) => ({ index, ...call })),
                },
              },
            ],
    } as unknown as ChatCompletionChunk;
    return this.handle(chunk);
  }

  end(): ModelEvent[] {
    if (this.finishReason === undefined) throw streamEndedEarly('a finish_reason arrived');
    const events: ModelEvent[] = [...this.tools.endAll()];
    if (this.usage !== undefined) events.push({ type: 'usage', usage: this.usage });
    events.push({
      type: 'finish',
      reason: normalise(this.finishReason, this.tools.size > 0),
      rawReason: this.finishReason,
    });
    return events;
  }

  private indexFor(wireIndex: number, id: string | undefined, name: string | undefined): number {
    const known = this.indexes.get(wireIndex);
    const isNewCall = known !== undefined && id !== undefined && name !== undefined && known.id !== id;
    if (known !== undefined && !isNewCall) return known.index;
    const index = this.tools.size;
    this.indexes.set(wireIndex, { index, id });
    // Reserve the index now so the next new call cannot take it.
    this.tools.update(index, {});
    return index;
  }
}

/**
 * Chat Completions on the wire: the fields we send and read, after OpenAI's API reference.
 * Ours rather than the `openai` package's types, so the provider needs nothing of the SDK; the
 * answer side is loose (optional, nullable) because compatible servers leave fields out.
 */

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatAssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ChatToolCall[];
  /** DeepSeek (and vLLM/SGLang reasoning parsers) take their reasoning back in this field. */
  reasoning_content?: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | ChatAssistantMessage
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatFunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema };
}

/** The body of POST /chat/completions, always streamed. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  stream_options: { include_usage: boolean };
  tools?: ChatFunctionTool[];
  tool_choice?: 'auto';
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  reasoning_effort?: NonNullable<Context['reasoning']>['effort'];
}

interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** One streamed `chat.completion.chunk`. */
export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: {
    index: number;
    delta?: { role?: string; content?: string | null; tool_calls?: ChatToolCallDelta[] | null } | null;
    finish_reason?: string | null;
  }[];
}

/** A whole `chat.completion`: what a server that ignores `stream: true` answers. */
export interface ChatCompletion {
  id?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: {
    index?: number;
    finish_reason?: string | null;
    message?: { role?: string; content?: string | null; tool_calls?: ChatToolCall[] | null } | null;
  }[];
}
