/**
 * Context → the streamGenerateContent request body, written as the wire carries it: the same
 * JSON, key for key, that @google/genai built from our contents and config before this adapter
 * left the SDK (contents as {parts, role}, functionCall as {args, id, name}, the system prompt as
 * a user content, upper-case schema types, generationConfig last), so requests stayed
 * byte-identical (test/fixtures/gemini-requests.json holds the SDK's bodies).
 */

import type {
  AssistantMessage,
  Context,
  JsonSchema,
  Message,
  ToolCall,
  ToolMessage,
  ToolSpec,
  UserMessage,
} from '@oxydra/types';
import {
  type ConversationMessage,
  convertedOnce,
  itemsJsonOnce,
  JSON_MARK,
  jsonList,
  mergeSameRole,
  splitSystem,
  toolsJsonOnce,
} from '../../shared/request.js';
import type { PartialArg } from './partial-args.js';
import { geminiParameters, geminiWireSchema } from './schema.js';

/** ToolCall.metadata keys this adapter writes and reads back. */
export const THOUGHT_SIGNATURE = 'thoughtSignature';
/** Set when Gemini itself gave the call an id (it usually does not; ours are synthesised). */
export const GEMINI_CALL_ID = 'geminiCallId';
/**
 * Google's documented stand-in for calls that never had a signature (history from another
 * model, or stored without metadata): Gemini 3 rejects a turn whose first call has none.
 */
export const SKIP_SIGNATURE_VALIDATION = 'skip_thought_signature_validator';

export interface GeminiFunctionCall {
  args?: Record<string, unknown>;
  id?: string;
  name?: string;
  /** Vertex streams arguments: `{name, willContinue}`, then `{partialArgs}`..., then `{}`. */
  willContinue?: boolean;
  partialArgs?: PartialArg[];
}

export interface GeminiPart {
  functionCall?: GeminiFunctionCall;
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
  inlineData?: { mimeType: string; data: string };
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
}

interface GeminiContent {
  parts: GeminiPart[];
  role: 'user' | 'model';
}

interface GeminiFunctionDeclaration {
  name: string;
  description: string;
  parameters?: JsonSchema;
}

interface GeminiGenerationConfig {
  temperature?: number;
  maxOutputTokens?: number;
  thinkingConfig?: { includeThoughts: boolean; thinkingBudget?: number };
}

/** The body of models/{model}:streamGenerateContent, keys in wire order. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  /** Resumes a reply that ended with finishReason CONTINUATION (see provider.ts). */
  continuationToken?: string;
  generationConfig: GeminiGenerationConfig;
}

/**
 * A tool's declaration, converted once per tool spec (see schema.ts) and shared by every
 * request: nothing downstream modifies it any more (the SDK rewrote `parameters` in place).
 */
const geminiFunction = convertedOnce((tool: ToolSpec): GeminiFunctionDeclaration => {
  const parameters = geminiParameters(tool.parameters);
  return {
    name: tool.name,
    description: tool.description,
    ...(parameters !== undefined ? { parameters: geminiWireSchema(parameters) } : {}),
  };
});

function userParts(message: UserMessage): GeminiPart[] {
  if (typeof message.content === 'string') return [{ text: message.content }];
  // Gemini takes every modality inline (images, PDFs, audio, video, text).
  return message.content.map(
    (part): GeminiPart =>
      part.type === 'text'
        ? { text: part.text }
        : { inlineData: { mimeType: part.mimeType, data: part.data } },
  );
}

function metadataString(call: ToolCall, key: string): string | undefined {
  const value = call.metadata?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A model turn as Gemini sent it: thoughts, text, calls, then a signature-only part. The
 * thoughtSignature on function calls must come back or Gemini 3 rejects the request.
 */
function modelParts(message: AssistantMessage): GeminiPart[] {
  const reasoning = message.reasoning ?? [];
  const parts: GeminiPart[] = [];
  for (const block of reasoning) {
    if (block.text === '' || block.encrypted !== undefined || block.id !== undefined) continue;
    parts.push({
      text: block.text,
      thought: true,
      ...(block.signature ? { thoughtSignature: block.signature } : {}),
    });
  }
  if (message.content !== '') parts.push({ text: message.content });
  const calls = message.toolCalls ?? [];
  const unsigned = calls.every((call) => metadataString(call, THOUGHT_SIGNATURE) === undefined);
  for (const [index, call] of calls.entries()) {
    const signature =
      metadataString(call, THOUGHT_SIGNATURE) ??
      (unsigned && index === 0 ? SKIP_SIGNATURE_VALIDATION : undefined);
    const id = metadataString(call, GEMINI_CALL_ID);
    parts.push({
      functionCall: { args: call.arguments ?? {}, ...(id !== undefined ? { id } : {}), name: call.name },
      ...(signature !== undefined ? { thoughtSignature: signature } : {}),
    });
  }
  for (const block of reasoning) {
    // A signature Gemini put on an empty text part after the answer.
    if (block.text === '' && block.signature !== undefined)
      parts.push({ text: '', thoughtSignature: block.signature });
  }
  return parts;
}

/** Calls by id, to give function responses the id Gemini used (when it used one). */
function callsById(messages: readonly Message[]): Map<string, ToolCall> {
  const calls = new Map<string, ToolCall>();
  for (const message of messages) {
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) calls.set(call.id, call);
  }
  return calls;
}

/** The function response answering a call: with the id Gemini gave that call, when it gave one. */
function responsePart(message: ToolMessage, id: string | undefined): GeminiPart {
  return {
    functionResponse: {
      name: message.toolName,
      response: message.isError ? { error: message.content } : { output: message.content },
      ...(id !== undefined ? { id } : {}),
    },
  };
}

/** The id Gemini gave the call a tool result answers (calls: the window's, callsById). */
function responseId(message: ToolMessage, calls: Map<string, ToolCall>): string | undefined {
  const call = calls.get(message.toolCallId);
  return call === undefined ? undefined : metadataString(call, GEMINI_CALL_ID);
}

/** What a message contributes: a content of its own role, or nothing (a model turn without parts). */
function messageContent(
  message: ConversationMessage,
  calls: Map<string, ToolCall>,
): GeminiContent | undefined {
  if (message.role === 'user') return { parts: userParts(message), role: 'user' };
  if (message.role === 'tool')
    return { parts: [responsePart(message, responseId(message, calls))], role: 'user' };
  const parts = modelParts(message);
  return parts.length > 0 ? { parts, role: 'model' } : undefined;
}

function geminiContents(messages: readonly ConversationMessage[]): GeminiContent[] {
  const calls = callsById(messages);
  const contents: GeminiContent[] = [];
  for (const message of messages) {
    const content = messageContent(message, calls);
    if (content !== undefined) contents.push(content);
  }
  // Parallel calls are answered by one user turn holding every functionResponse.
  return mergeSameRole(contents, (a, b) => ({ parts: [...a.parts, ...b.parts], role: a.role }));
}

/** No calls: a tool result's content kept without the id of the call it answers. */
const NO_CALLS = new Map<string, ToolCall>();

/**
 * Each message's content as if alone in its run of one role (most are), made once per message
 * object (itemsJsonOnce); nothing for a model turn without parts. A tool result's is kept
 * without the call's id: that id is the answered call's (another message of the window), added
 * when the body is written.
 */
const contentJsonOnce = itemsJsonOnce((message): GeminiContent[] => {
  const content = messageContent(message, NO_CALLS);
  return content === undefined ? [] : [content];
});

/** `{"parts":[`, before a content's parts. */
const PARTS_START = 10;

/** A content's parts' JSON, joined: between `{"parts":[` and `],"role":"<role>"}`. */
function partsJson(content: string, role: GeminiContent['role']): string {
  return content.slice(PARTS_START, content.length - role.length - 12);
}

function contentJson(parts: string, role: GeminiContent['role']): string {
  return `{"parts":[${parts}],"role":"${role}"}`;
}

/** A tool result's content with the call's id: the id is the last key of functionResponse. */
function withResponseId(content: string, id: string): string {
  const part = partsJson(content, 'user');
  return contentJson(`${part.slice(0, -2)},"id":${JSON.stringify(id)}}}`, 'user');
}

/**
 * JSON.stringify(geminiContents(messages)), the same bytes, from each message's kept content:
 * a run of messages of one role is one content holding their parts (mergeSameRole), a model turn
 * without parts none; a message alone in its run is its kept text as it is.
 */
function geminiContentsJson(messages: readonly ConversationMessage[]): string {
  let calls: Map<string, ToolCall> | undefined;
  const contents: string[] = [];
  let role: GeminiContent['role'] = 'user';
  let run: string[] = [];
  const flush = () => {
    if (run.length === 1) contents.push(run[0] as string);
    else if (run.length > 1) {
      const parts = run.map((content) => partsJson(content, role)).filter((text) => text !== '');
      contents.push(contentJson(parts.join(','), role));
    }
  };
  for (const message of messages) {
    let content = contentJsonOnce(message, undefined);
    if (typeof content !== 'string') continue;
    if (message.role === 'tool') {
      calls ??= callsById(messages);
      const id = responseId(message, calls);
      if (id !== undefined) content = withResponseId(content, id);
    }
    const next = message.role === 'assistant' ? 'model' : 'user';
    if (next !== role) {
      flush();
      role = next;
      run = [];
    }
    run.push(content);
  }
  flush();
  return jsonList(contents);
}

function geminiGenerationConfig(context: Context): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (context.temperature !== undefined) config.temperature = context.temperature;
  if (context.maxOutputTokens !== undefined) config.maxOutputTokens = context.maxOutputTokens;
  if (context.reasoning !== undefined) {
    config.thinkingConfig = {
      includeThoughts: true,
      ...(context.reasoning.budgetTokens !== undefined
        ? { thinkingBudget: context.reasoning.budgetTokens }
        : {}),
    };
  }
  return config;
}

/** The request body; `continuationToken` resumes a reply cut at the per-request token limit. */
export function geminiRequest(context: Context, continuationToken?: string): GeminiRequest {
  const { system, messages } = splitSystem(context.messages);
  return buildGeminiRequest(context, geminiContents(messages), system, continuationToken, (tools) =>
    tools.map(geminiFunction),
  );
}

/** The body's JSON with the declarations as geminiFunction gives them, each one's text made once. */
const geminiBodyJson = toolsJsonOnce(geminiFunction, 'functionDeclarations');

/**
 * The request body as sent: JSON.stringify(geminiRequest(...)), each message's parts and each
 * tool's declaration written once.
 */
export function geminiRequestJson(context: Context, continuationToken?: string): string {
  const { system, messages } = splitSystem(context.messages);
  return geminiBodyJson(
    context.tools,
    (list) =>
      buildGeminiRequest(context, JSON_MARK as unknown as GeminiContent[], system, continuationToken, list),
    ['contents', geminiContentsJson(messages)],
  );
}

function buildGeminiRequest(
  context: Context,
  contents: GeminiContent[],
  system: string | undefined,
  continuationToken: string | undefined,
  declarations: (tools: readonly ToolSpec[]) => GeminiFunctionDeclaration[],
): GeminiRequest {
  // Keys are added in wire order; generationConfig goes last.
  const body: Omit<GeminiRequest, 'generationConfig'> & { generationConfig?: GeminiGenerationConfig } = {
    contents,
  };
  if (system !== undefined) body.systemInstruction = { parts: [{ text: system }], role: 'user' };
  const tools = context.tools ?? [];
  // Plain declarations only: we run the tools ourselves (nothing asks for automatic calling).
  if (tools.length > 0) body.tools = [{ functionDeclarations: declarations(tools) }];
  if (continuationToken !== undefined) body.continuationToken = continuationToken;
  body.generationConfig = geminiGenerationConfig(context);
  return body as GeminiRequest;
}
