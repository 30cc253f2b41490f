/** Context → Responses API `input` items, instructions and tools. */
import type { AssistantMessage, Context, ToolSpec, UserMessage } from '@oxydra/types';
import {
  type AttachmentScope,
  attachmentKind,
  dataUrl,
  unsupportedAttachment,
} from '../../shared/attachments.js';
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
import type {
  ResponsesFunctionTool,
  ResponsesInputContent,
  ResponsesInputItem,
  ResponsesRequest,
} from './types.js';

/**
 * The one place tool schemas are adapted for Responses (`$schema` is not accepted); once per tool
 * spec, the result shared by every request.
 */
const responsesTool: (tool: ToolSpec) => ResponsesFunctionTool = convertedOnce((tool) => ({
  type: 'function',
  name: tool.name,
  description: tool.description,
  parameters: withoutKeywords(asObjectSchema(tool.parameters), ['$schema']),
  // Strict mode would require every property in `required` and no open objects.
  strict: false,
}));

function userItem(message: UserMessage, scope: AttachmentScope): ResponsesInputItem {
  if (typeof message.content === 'string') return { role: 'user', content: message.content };
  const content = message.content.map((part): ResponsesInputContent => {
    if (part.type === 'text') return { type: 'input_text', text: part.text };
    const kind = attachmentKind(part.mimeType);
    if (kind === 'image') return { type: 'input_image', image_url: dataUrl(part), detail: 'auto' };
    if (kind === 'pdf') {
      return { type: 'input_file', filename: part.name ?? 'document.pdf', file_data: dataUrl(part) };
    }
    throw unsupportedAttachment(scope, part);
  });
  return { role: 'user', content };
}

/** An assistant turn as the items the API produced: reasoning first, then text, then calls. */
export function assistantItems(message: AssistantMessage): ResponsesInputItem[] {
  const items: ResponsesInputItem[] = [];
  for (const block of message.reasoning ?? []) {
    // Only a Responses reasoning item with its encrypted content can be replayed anywhere: a
    // bare id needs the server to have stored it (store: true), which compatible servers and
    // zero-retention accounts do not. Stored reasoning reaches the model through chaining.
    if (block.id === undefined || block.encrypted === undefined) continue;
    items.push({
      type: 'reasoning',
      id: block.id,
      summary: block.text === '' ? [] : [{ type: 'summary_text', text: block.text }],
      ...(block.encrypted !== undefined ? { encrypted_content: block.encrypted } : {}),
    });
  }
  if (message.content !== '') items.push({ role: 'assistant', content: message.content });
  for (const call of message.toolCalls ?? []) {
    items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: argumentsText(call) });
  }
  return items;
}

/** What one conversation message becomes: a Responses assistant turn may be several items, or none. */
function messageItems(message: ConversationMessage, scope: AttachmentScope): ResponsesInputItem[] {
  if (message.role === 'user') return [userItem(message, scope)];
  if (message.role === 'assistant') return assistantItems(message);
  return [{ type: 'function_call_output', call_id: message.toolCallId, output: message.content }];
}

function responsesScope(context: Context, provider: string): AttachmentScope {
  return { provider, model: context.model, api: 'the OpenAI Responses API', accepted: 'images and PDFs' };
}

export interface ResponsesInput {
  instructions: string | undefined;
  items: ResponsesInputItem[];
}

export function responsesInput(context: Context, provider: string): ResponsesInput {
  const scope = responsesScope(context, provider);
  const { system, messages } = splitSystem(context.messages);
  return { instructions: system, items: messages.flatMap((message) => messageItems(message, scope)) };
}

/** Each message's items' JSON, made once per message object (itemsJsonOnce). */
const messageItemsJson = itemsJsonOnce(messageItems);

/** responsesInput with each item as its JSON text: the texts the body and the chain's comparison share. */
export interface ResponsesInputJson {
  instructions: string | undefined;
  items: readonly string[];
}

export function responsesInputJson(context: Context, provider: string): ResponsesInputJson {
  const { system, messages } = splitSystem(context.messages);
  return {
    instructions: system,
    items: conversationJson(messages, responsesScope(context, provider), messageItemsJson),
  };
}

export function responsesRequest(
  context: Context,
  input: ResponsesInputItem[],
  instructions: string | undefined,
  previousResponseId: string | undefined,
): ResponsesRequest {
  return buildResponsesRequest(context, input, instructions, previousResponseId, (tools) =>
    tools.map(responsesTool),
  );
}

/** The body's JSON with the tool list as responsesTool gives it, each tool's text made once. */
const responsesBodyJson = toolsJsonOnce(responsesTool);

/**
 * The request body as sent: JSON.stringify(responsesRequest(...)) for the items whose JSON texts
 * `input` holds (responsesInputJson), each tool's schema written once.
 */
export function responsesRequestJson(
  context: Context,
  input: readonly string[],
  instructions: string | undefined,
  previousResponseId: string | undefined,
): string {
  return responsesBodyJson(
    context.tools,
    (list) =>
      buildResponsesRequest(
        context,
        JSON_MARK as unknown as ResponsesInputItem[],
        instructions,
        previousResponseId,
        list,
      ),
    ['input', jsonList(input)],
  );
}

function buildResponsesRequest(
  context: Context,
  input: ResponsesInputItem[],
  instructions: string | undefined,
  previousResponseId: string | undefined,
  toolList: (tools: readonly ToolSpec[]) => ResponsesFunctionTool[],
): ResponsesRequest {
  const body: ResponsesRequest = { model: context.model, input, stream: true };
  // Instructions are not carried over by previous_response_id, so they go with every request.
  if (instructions !== undefined) body.instructions = instructions;
  if (previousResponseId !== undefined) body.previous_response_id = previousResponseId;
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = toolList(tools);
    body.tool_choice = 'auto';
  }
  if (context.maxOutputTokens !== undefined) body.max_output_tokens = context.maxOutputTokens;
  if (context.temperature !== undefined) body.temperature = context.temperature;
  if (context.reasoning?.effort !== undefined) {
    body.reasoning = { effort: context.reasoning.effort, summary: 'auto' };
  }
  return body;
}
