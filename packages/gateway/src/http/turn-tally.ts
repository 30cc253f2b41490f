/**
 * What a stateless turn's events add up to, for the HTTP answers: the text (every model call's,
 * as streamed; see the runtime's answer rule) and the last call's alone (a structured answer),
 * reasoning, how it finished, its usage, and whether any tool ran (a side effect: from then on a
 * failure must not be retried by the client).
 */
import type { FinishReason, RunEndEvent, StreamEvent, Usage } from '@oxydra/types';

export class TurnTally {
  text = '';
  lastCallText = '';
  reasoning = '';
  finish: FinishReason | undefined;
  end: RunEndEvent | undefined;
  toolRan = false;

  observe(event: StreamEvent): void {
    switch (event.type) {
      case 'turn_start':
        this.lastCallText = '';
        return;
      case 'text_delta':
        this.text += event.text;
        this.lastCallText += event.text;
        return;
      case 'reasoning_delta':
        this.reasoning += event.text;
        return;
      case 'tool_execution_start':
        this.toolRan = true;
        return;
      case 'finish':
        this.finish = event.reason;
        return;
      case 'run_completed':
      case 'run_failed':
        this.end = event;
        return;
      default:
        return;
    }
  }
}

/** Usage in the OpenAI chat shape, with the cached and reasoning token details when known. */
export function chatUsage(usage: Usage) {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** Usage in the Responses API shape. */
export function responsesUsage(usage: Usage) {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}
