/** Context → Gemini `contents` and `config`. */

import type { Content, FunctionDeclaration, GenerateContentConfig, Part, Schema } from '@google/genai';
import type { AssistantMessage, Context, Message, ToolCall, ToolSpec, UserMessage } from '@oxydra/types';
import { mergeSameRole, splitSystem } from '../../shared/messages.js';
import { convertedOnce } from '../../shared/schema.js';
import { geminiParameters } from './schema.js';

/** ToolCall.metadata keys this adapter writes and reads back. */
export const THOUGHT_SIGNATURE = 'thoughtSignature';
/** Set when Gemini itself gave the call an id (it usually does not; ours are synthesised). */
export const GEMINI_CALL_ID = 'geminiCallId';
/**
 * Google's documented stand-in for calls that never had a signature (history from another
 * model, or stored without metadata): Gemini 3 rejects a turn whose first call has none.
 */
export const SKIP_SIGNATURE_VALIDATION = 'skip_thought_signature_validator';

/** A tool's parameters for Gemini, converted once per tool spec (null: it has none). */
const parametersOf = convertedOnce((tool) => geminiParameters(tool.parameters) ?? null);

/**
 * The one place tool schemas are adapted for Gemini (see schema.ts). The declaration is new for
 * each request, only its parameters are shared: the SDK reassigns a declaration's `parameters`
 * (to its own processed copy, leaving the one given untouched).
 */
export function geminiFunction(tool: ToolSpec): FunctionDeclaration {
  const parameters = parametersOf(tool) ?? undefined;
  return {
    name: tool.name,
    description: tool.description,
    ...(parameters !== undefined ? { parameters: parameters as Schema } : {}),
  };
}

function userParts(message: UserMessage): Part[] {
  if (typeof message.content === 'string') return [{ text: message.content }];
  // Gemini takes every modality inline (images, PDFs, audio, video, text).
  return message.content.map(
    (part): Part =>
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
function modelParts(message: AssistantMessage): Part[] {
  const reasoning = message.reasoning ?? [];
  const parts: Part[] = [];
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
      functionCall: { name: call.name, args: call.arguments ?? {}, ...(id !== undefined ? { id } : {}) },
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

export function geminiContents(context: Context): { systemInstruction?: string; contents: Content[] } {
  const { system, messages } = splitSystem(context.messages);
  const calls = callsById(messages);
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'user') contents.push({ role: 'user', parts: userParts(message) });
    else if (message.role === 'assistant') {
      const parts = modelParts(message);
      if (parts.length > 0) contents.push({ role: 'model', parts });
    } else {
      const call = calls.get(message.toolCallId);
      const id = call === undefined ? undefined : metadataString(call, GEMINI_CALL_ID);
      contents.push({
        role: 'user',
        parts: [
          {
            functionResponse: {
              name: message.toolName,
              response: message.isError ? { error: message.content } : { output: message.content },
              ...(id !== undefined ? { id } : {}),
            },
          },
        ],
      });
    }
  }
  // Parallel calls are answered by one user turn holding every functionResponse.
  const merged = mergeSameRole(contents as (Content & { role: string })[], (a, b) => ({
    role: a.role,
    parts: [...(a.parts ?? []), ...(b.parts ?? [])],
  }));
  return { ...(system !== undefined ? { systemInstruction: system } : {}), contents: merged };
}

export function geminiConfig(context: Context, systemInstruction: string | undefined): GenerateContentConfig {
  const config: GenerateContentConfig = {
    // Plain declarations only; we run the tools ourselves.
    automaticFunctionCalling: { disable: true },
  };
  if (systemInstruction !== undefined) config.systemInstruction = systemInstruction;
  const tools = context.tools ?? [];
  if (tools.length > 0) config.tools = [{ functionDeclarations: tools.map(geminiFunction) }];
  if (context.maxOutputTokens !== undefined) config.maxOutputTokens = context.maxOutputTokens;
  if (context.temperature !== undefined) config.temperature = context.temperature;
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
