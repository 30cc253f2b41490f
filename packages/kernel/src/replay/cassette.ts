/**
 * The replay's model: the testkit's in-process scripted provider, answering each model call of
 * a turn with the recorded reply of that turn, in order. No socket, no key, no network. A call
 * beyond the recording fails at once (not retried): the replay went somewhere the recording
 * never did. Every reply carries zero usage priced at $0, so a replay spends nothing.
 */
import { replyEvents, type ScriptedProvider, scriptedProvider } from '@oxydra/testkit';
import { type ModelEvent, ProviderError } from '@oxydra/types';
import type { Recording } from './recording.js';

export interface Cassette {
  provider: ScriptedProvider;
  /** Moves to a turn (0-based): its first model call gets that turn's first reply. */
  startTurn(index: number): void;
}

export function cassetteProvider(recording: Recording): Cassette {
  let turn = 0;
  let call = 0;
  const provider = scriptedProvider(
    () => {
      const steps = recording.turns[turn]?.steps ?? [];
      const step = steps[call];
      const number = call + 1;
      call += 1;
      if (!step) {
        const error = new ProviderError(
          `the recording has no model reply for call ${number} of turn ${turn + 1} (it recorded ${steps.length}): the replay went where the recording did not`,
          { kind: 'bad_request', provider: 'replay' },
        );
        const failing: AsyncIterable<ModelEvent> = {
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
        };
        return failing;
      }
      const { reply } = step;
      const calls = reply.toolCalls ?? [];
      const events = replyEvents(
        {
          text: reply.content,
          toolCalls: calls.map((toolCall) => ({
            id: toolCall.id,
            name: toolCall.name,
            arguments: toolCall.arguments,
          })),
        },
        call,
      );
      return events.flatMap((event): ModelEvent[] => {
        // The argument text exactly as recorded (it may not have been valid JSON).
        const raw =
          event.type === 'tool_call_end' || event.type === 'tool_call_delta'
            ? calls[event.index]?.rawArguments
            : undefined;
        if (raw !== undefined && event.type === 'tool_call_delta') return [{ ...event, argumentsDelta: raw }];
        if (raw !== undefined && event.type === 'tool_call_end') return [{ ...event, rawArguments: raw }];
        if (event.type === 'finish') {
          return [{ type: 'usage', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } }, event];
        }
        return [event];
      });
    },
    { name: 'replay' },
  );
  return {
    provider,
    startTurn(index) {
      turn = index;
      call = 0;
    },
  };
}
