/**
 * A stored session read as a recording: per turn, the prompt, each model reply (text and tool
 * calls) and each tool call's result. The model replies become the cassette a replay's model
 * plays back (a testkit scenario, which `oxydra mock-llm --scenario` serves too); the tool
 * results are what a replay's tools are compared with, and what answers the tools a replay does
 * not run (those that reach beyond the workspace).
 */
import { attachmentPlaceholder, isOmittedAttachment, type StoredEvent } from '@oxydra/memory';
import type { Scenario } from '@oxydra/testkit';
import type { AssistantMessage, ContentPart, Message, ToolCall, ToolMessage } from '@oxydra/types';

/** One model reply of a recorded turn and the results of the calls it asked for. */
interface RecordedStep {
  reply: AssistantMessage;
  /** By tool call id; a call without a stored result (the run ended first) has none. */
  results: Map<string, ToolMessage>;
}

export interface RecordedTurn {
  /** 1, 2, 3... per prompt of the session. */
  turn: number;
  /** Its prompt's seq in the stored session (a run's checkpoint names the seq it ran at). */
  seq: number;
  prompt: string | ContentPart[];
  steps: RecordedStep[];
  /** User messages that arrived while the turn ran (steering): not replayed. */
  steering: number;
}

export interface Recording {
  sessionId: string;
  agent?: string;
  userId?: string;
  turns: RecordedTurn[];
}

/**
 * The recording of a session's stored messages, in order. Each prompt starts a turn, except a
 * user message stored right after tool results: that one arrived while the run was going on
 * (steering), and the run's next replies belong to the same turn. (A new prompt after a run
 * that failed right after its tools looks the same, and is read the same way.)
 */
export function recordingOf(
  session: { id: string; agent?: string; userId?: string },
  events: readonly StoredEvent[],
): Recording {
  const turns: RecordedTurn[] = [];
  let current: RecordedTurn | undefined;
  let previous: Message['role'] | undefined;
  for (const { message, seq } of events) {
    if (message.role === 'user') {
      if (current && previous === 'tool') current.steering += 1;
      else {
        current = { turn: turns.length + 1, seq, prompt: promptOf(message.content), steps: [], steering: 0 };
        turns.push(current);
      }
    } else if (current && message.role === 'assistant') {
      current.steps.push({ reply: message, results: new Map() });
    } else if (current && message.role === 'tool') {
      current.steps.at(-1)?.results.set(message.toolCallId, message);
    }
    previous = message.role;
  }
  return {
    sessionId: session.id,
    ...(session.agent !== undefined ? { agent: session.agent } : {}),
    ...(session.userId !== undefined ? { userId: session.userId } : {}),
    turns,
  };
}

/** Attachments whose bytes were not kept are replayed as the placeholder a resumed session sends. */
function promptOf(content: string | ContentPart[]): string | ContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'attachment' && isOmittedAttachment(part)
      ? { type: 'text' as const, text: attachmentPlaceholder(part) }
      : part,
  );
}

export function promptText(prompt: string | ContentPart[]): string {
  if (typeof prompt === 'string') return prompt;
  return prompt.map((part) => (part.type === 'text' ? part.text : `[${part.mimeType}]`)).join('');
}

/** The recorded tool calls of a turn, in order, with their results. */
export function recordedCalls(turn: RecordedTurn): { call: ToolCall; result: ToolMessage | undefined }[] {
  return turn.steps.flatMap((step) =>
    (step.reply.toolCalls ?? []).map((call) => ({ call, result: step.results.get(call.id) })),
  );
}

/** The last model reply's text, and whether the turn ended with an answer (a reply asking for no tools). */
export function outcomeOf(messages: readonly Message[]): { text: string; answered: boolean } {
  const last = [...messages].reverse().find((message) => message.role === 'assistant') as
    | AssistantMessage
    | undefined;
  const ended = messages.at(-1);
  return {
    text: last?.content ?? '',
    answered: ended?.role === 'assistant' && (ended.toolCalls ?? []).length === 0,
  };
}

/**
 * The recording's model replies as a testkit scenario: one step per model call, in order over
 * every turn, matched by call index. Tool-call ids are the recorded ones; no usage (a replay
 * costs nothing).
 */
export function cassetteOf(recording: Recording): Scenario {
  let callIndex = 0;
  return {
    steps: recording.turns.flatMap((turn) =>
      turn.steps.map(({ reply }) => ({
        match: { callIndex: callIndex++ },
        reply: {
          ...(reply.content !== '' ? { text: reply.content } : {}),
          ...(reply.reasoning?.length
            ? { reasoning: reply.reasoning.map((block) => block.text).join('') }
            : {}),
          ...(reply.toolCalls?.length
            ? {
                toolCalls: reply.toolCalls.map((call) => ({
                  id: call.id,
                  name: call.name,
                  // The recorded text only when it is not the arguments' JSON (invalid JSON).
                  arguments: rawUnlessJson(call),
                })),
              }
            : {}),
        },
      })),
    ),
  };
}

function rawUnlessJson(call: ToolCall): Record<string, unknown> | string {
  if (call.rawArguments === undefined) return call.arguments;
  try {
    JSON.parse(call.rawArguments);
    return call.arguments;
  } catch {
    return call.rawArguments;
  }
}
