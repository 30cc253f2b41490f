/**
 * What a replay did against what the recording says. The model's replies are the recording's,
 * so the same tool calls come back unless the run took another path (a tool refused or unknown
 * now, a limit reached, a failure); what can really differ is what the tools answer — the
 * workspace changed, a command behaves differently — and past such a difference the recorded
 * replies no longer follow from what the model would have seen. So a replay compares, per turn:
 * each tool call (name and arguments, in order), each call's result (text and error flag), the
 * final text, and whether the turn ended with an answer.
 */
import type { Message, ToolCall, ToolMessage } from '@oxydra/types';
import { canonicalJson, WORKSPACE_TOOLS } from './recorded-tools.js';
import { outcomeOf, promptText, type RecordedTurn, recordedCalls } from './recording.js';

export interface ReplayCall {
  name: string;
  arguments: Record<string, unknown>;
  result: string;
  isError: boolean;
  /** False when the model asked for the call but the run ended before it ran. */
  ran: boolean;
  /** The tool was not run: its result is the recording's (it reaches beyond the workspace). */
  fromRecording: boolean;
}

export interface ReplaySide {
  calls: ReplayCall[];
  /** The last model reply's text. */
  text: string;
  /** Whether the turn ended with an answer (a reply asking for no tools). */
  answered: boolean;
  /** Model calls made. */
  modelCalls: number;
}

export interface ReplayTurnReport {
  turn: number;
  prompt: string;
  recorded: ReplaySide;
  replayed: ReplaySide & { status: string; error?: string };
}

export type DivergenceKind =
  | 'tool_call'
  | 'tool_result'
  | 'missing_call'
  | 'extra_call'
  | 'final_text'
  | 'outcome';

export interface ReplayDivergence {
  turn: number;
  /** 1-based, among the turn's tool calls. */
  call?: number;
  kind: DivergenceKind;
  message: string;
}

function callOf(call: ToolCall, result: ToolMessage | undefined): ReplayCall {
  return {
    name: call.name,
    arguments: call.arguments,
    result: result?.content ?? '',
    isError: result?.isError ?? false,
    ran: result !== undefined,
    fromRecording: !WORKSPACE_TOOLS.has(call.name),
  };
}

function recordedSide(turn: RecordedTurn): ReplaySide {
  const messages: Message[] = turn.steps.flatMap((step) => [step.reply, ...step.results.values()]);
  return {
    calls: recordedCalls(turn).map(({ call, result }) => callOf(call, result)),
    ...outcomeOf(messages),
    modelCalls: turn.steps.length,
  };
}

/** The replayed side of a turn from the messages the run added (prompt first). */
function replayedSide(added: readonly Message[]): ReplaySide {
  const results = new Map<string, ToolMessage>();
  for (const message of added) if (message.role === 'tool') results.set(message.toolCallId, message);
  const replies = added.filter((message) => message.role === 'assistant');
  return {
    calls: replies.flatMap((reply) =>
      (reply.toolCalls ?? []).map((call) => callOf(call, results.get(call.id))),
    ),
    ...outcomeOf(added),
    modelCalls: replies.length,
  };
}

const describeCall = (call: ReplayCall) => {
  const args = canonicalJson(call.arguments);
  return `${call.name} ${args.length > 120 ? `${args.slice(0, 119)}…` : args}`;
};

/** Where two texts first differ, with a little of each around it. */
function firstDifference(recorded: string, replayed: string): string {
  let at = 0;
  while (at < recorded.length && at < replayed.length && recorded[at] === replayed[at]) at += 1;
  const line = recorded.slice(0, at).split('\n').length;
  const excerpt = (text: string) => {
    const piece = text.slice(Math.max(0, at - 20), at + 40);
    return piece === '' ? '(end)' : JSON.stringify(piece);
  };
  return `first difference at character ${at + 1} (line ${line}): recorded ${excerpt(recorded)}, replayed ${excerpt(replayed)}`;
}

export function divergences(report: ReplayTurnReport): ReplayDivergence[] {
  const { turn, recorded, replayed } = report;
  const found: ReplayDivergence[] = [];
  const count = Math.max(recorded.calls.length, replayed.calls.length);
  for (let index = 0; index < count; index++) {
    const was = recorded.calls[index];
    const now = replayed.calls[index];
    const call = index + 1;
    if (was && (!now || (was.ran && !now.ran))) {
      found.push({
        turn,
        call,
        kind: 'missing_call',
        message: `the replay did not ${now ? 'run' : 'make'} call ${call}: ${describeCall(was)}`,
      });
    } else if (!was && now) {
      found.push({
        turn,
        call,
        kind: 'extra_call',
        message: `the replay made a call the recording has not: ${describeCall(now)}`,
      });
    } else if (was && now) {
      if (was.name !== now.name || canonicalJson(was.arguments) !== canonicalJson(now.arguments)) {
        found.push({
          turn,
          call,
          kind: 'tool_call',
          message: `call ${call} was ${describeCall(was)}, the replay's is ${describeCall(now)}`,
        });
      } else if (was.result !== now.result || was.isError !== now.isError) {
        const flag =
          was.isError !== now.isError
            ? `; it ${now.isError ? 'failed' : 'succeeded'} where the recording's ${was.isError ? 'failed' : 'succeeded'}`
            : '';
        found.push({
          turn,
          call,
          kind: 'tool_result',
          message: `${describeCall(now)} answered differently${flag}: ${firstDifference(was.result, now.result)}`,
        });
      }
    }
  }
  if (recorded.text !== replayed.text) {
    found.push({
      turn,
      kind: 'final_text',
      message: `the final text differs: ${firstDifference(recorded.text, replayed.text)}`,
    });
  }
  if (recorded.answered !== replayed.answered) {
    found.push({
      turn,
      kind: 'outcome',
      message: recorded.answered
        ? `the recording answered; the replay ${replayed.status}${replayed.error ? `: ${replayed.error}` : ' without an answer'}`
        : `the recording ended without an answer; the replay answered`,
    });
  }
  return found;
}

export function turnReport(
  turn: RecordedTurn,
  added: readonly Message[],
  outcome: { status: string; error?: string },
): ReplayTurnReport {
  return {
    turn: turn.turn,
    prompt: promptText(turn.prompt),
    recorded: recordedSide(turn),
    replayed: { ...replayedSide(added), ...outcome },
  };
}
