/**
 * Assemble a model's answer from its normalised stream: the AssistantMessage to store and
 * replay (text, tool calls, reasoning blocks with their signatures), the finish reason and
 * usage. Works on the events of any adapter.
 */
import {
  type AssistantMessage,
  type FinishReason,
  flatString,
  type ModelEvent,
  type ProviderResponse,
  type ReasoningBlock,
  type ToolCall,
  type Usage,
} from '@oxydra/types';

export class ResponseAssembler {
  private text = '';
  private readonly toolCalls: ToolCall[] = [];
  private readonly reasoning: ReasoningBlock[] = [];
  /** The block reasoning deltas currently extend; closed by a signature/id or by other output. */
  private openBlock: ReasoningBlock | undefined;
  private finishReason: FinishReason | undefined;
  private rawFinishReason: string | null | undefined;
  private finishDetails: Record<string, unknown> | undefined;
  private usage: Usage = {};

  add(event: ModelEvent): void {
    switch (event.type) {
      case 'text_delta':
        this.openBlock = undefined;
        this.text += event.text;
        break;
      case 'reasoning_delta':
        this.addReasoning(event);
        break;
      case 'tool_call_start':
        this.openBlock = undefined;
        break;
      case 'tool_call_end':
        this.toolCalls.push(toToolCall(event));
        break;
      case 'usage':
        // Adapters send the final usage; a later report replaces an earlier one.
        this.usage = event.usage;
        break;
      case 'finish':
        this.finishReason = event.reason;
        this.rawFinishReason = event.rawReason;
        this.finishDetails = event.details;
        break;
      default:
        break;
    }
  }

  /** The assistant message as far as the stream got. */
  message(): AssistantMessage {
    const message: AssistantMessage = { role: 'assistant', content: flatString(this.text) };
    if (this.toolCalls.length > 0) message.toolCalls = [...this.toolCalls];
    if (this.reasoning.length > 0)
      message.reasoning = this.reasoning.map((block) => ({ ...block, text: flatString(block.text) }));
    return message;
  }

  response(): ProviderResponse {
    const message = this.message();
    const response: ProviderResponse = {
      message,
      toolCalls: message.toolCalls ?? [],
      // A stream without a finish event was cut; adapters throw before that, so this is a fallback.
      finishReason: this.finishReason ?? 'other',
      usage: this.usage,
    };
    if (this.rawFinishReason !== undefined) response.rawFinishReason = this.rawFinishReason;
    if (this.finishDetails !== undefined) response.finishDetails = this.finishDetails;
    return response;
  }

  private addReasoning(event: Extract<ModelEvent, { type: 'reasoning_delta' }>): void {
    let block = this.openBlock;
    if (block === undefined) {
      block = { text: '' };
      this.reasoning.push(block);
      this.openBlock = block;
    }
    block.text += event.text;
    if (event.signature !== undefined) block.signature = event.signature;
    if (event.encrypted !== undefined) block.encrypted = event.encrypted;
    if (event.id !== undefined) block.id = event.id;
    // Providers sign or identify a block once it is complete: what follows is a new block.
    if (event.signature !== undefined || event.encrypted !== undefined || event.id !== undefined) {
      this.openBlock = undefined;
    }
  }
}

function toToolCall(event: Extract<ModelEvent, { type: 'tool_call_end' }>): ToolCall {
  const call: ToolCall = {
    id: event.id,
    name: event.name,
    arguments: event.arguments,
    rawArguments: event.rawArguments,
  };
  if (event.metadata !== undefined) call.metadata = event.metadata;
  return call;
}

export async function collectResponse(events: AsyncIterable<ModelEvent>): Promise<ProviderResponse> {
  const assembler = new ResponseAssembler();
  for await (const event of events) assembler.add(event);
  return assembler.response();
}
