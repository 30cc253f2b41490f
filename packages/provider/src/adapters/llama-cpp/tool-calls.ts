/** A finished tool call as the start, delta and end events every adapter sends for one. */
import { randomUUID } from 'node:crypto';
import type { ModelEvent } from '@oxydra/types';

export function toolCallEvents(calls: readonly { name: string; params: unknown }[]): ModelEvent[] {
  return calls.flatMap((call, index) => {
    // llama.cpp gives calls no id: one is made, as the Gemini adapter does.
    const id = `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const args = isRecord(call.params) ? call.params : {};
    const raw = JSON.stringify(call.params ?? {});
    return [
      { type: 'tool_call_start', index, id, name: call.name },
      { type: 'tool_call_delta', index, argumentsDelta: raw },
      { type: 'tool_call_end', index, id, name: call.name, arguments: args, rawArguments: raw },
    ] satisfies ModelEvent[];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
