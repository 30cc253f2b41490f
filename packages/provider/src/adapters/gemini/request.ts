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
  ToolSpec,
  UserMessage,
} from '@oxydra/types';
import { convertedOnce, mergeSameRole, splitSystem } from '../../shared/request.js';
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

function geminiContents(context: Context): { systemInstruction?: string; contents: GeminiContent[] } {
  const { system, messages } = splitSystem(context.messages);
  const calls = callsById(messages);
  const contents: GeminiContent[] = [];
  for (const message of messages) {
    if (message.role === 'user') contents.push({ parts: userParts(message), role: 'user' });
    else if (message.role === 'assistant') {
      const parts = modelParts(message);
      if (parts.length > 0) contents.push({ parts, role: 'model' });
    } else {
      const call = calls.get(message.toolCallId);
      const id = call === undefined ? undefined : metadataString(call, GEMINI_CALL_ID);
      contents.push({
        parts: [
          {
            functionResponse: {
              name: message.toolName,
              response: message.isError ? { error: message.content } : { output: message.content },
              ...(id !== undefined ? { id } : {}),
            },
          },
        ],
        role: 'user',
      });
    }
  }
  // Parallel calls are answered by one user turn holding every functionResponse.
  const merged = mergeSameRole(contents, (a, b) => ({ parts: [...a.parts, ...b.parts], role: a.role }));
  return { ...(system !== undefined ? { systemInstruction: system } : {}), contents: merged };
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
  const { systemInstruction, contents } = geminiContents(context);
  // Keys are added in wire order; generationConfig goes last.
  const body: Omit<GeminiRequest, 'generationConfig'> & { generationConfig?: GeminiGenerationConfig } = {
    contents,
  };
  if (systemInstruction !== undefined) {
    body.systemInstruction = { parts: [{ text: systemInstruction }], role: 'user' };
  }
  const tools = context.tools ?? [];
  // Plain declarations only: we run the tools ourselves (nothing asks for automatic calling).
  if (tools.length > 0) body.tools = [{ functionDeclarations: tools.map(geminiFunction) }];
  if (continuationToken !== undefined) body.continuationToken = continuationToken;
  body.generationConfig = geminiGenerationConfig(context);
  return body as GeminiRequest;
}
