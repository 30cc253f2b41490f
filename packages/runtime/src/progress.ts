/** The runtime's progress lines: "[2/8] Calling gpt-4o-mini", "[2/8] Executing tools: file_read". */
import type { ProgressEvent, StreamEvent } from '@oxydra/types';
import { formatDuration } from './clock.js';

export interface TurnPosition {
  turn: number;
  maxTurns: number;
}

function label({ turn, maxTurns }: TurnPosition): string {
  return `[${turn}/${maxTurns}]`;
}

function progress(event: ProgressEvent): StreamEvent {
  return { type: 'progress', progress: event };
}

/** Names once each, in call order: "file_read, file_list" rather than "file_read, file_read, file_list". */
function uniqueNames(names: readonly string[]): string[] {
  return [...new Set(names)];
}

export function providerCallProgress(position: TurnPosition, model: string): StreamEvent {
  return progress({ kind: 'provider_call', message: `${label(position)} Calling ${model}`, ...position });
}

export function toolExecutionProgress(position: TurnPosition, toolNames: readonly string[]): StreamEvent {
  const names = uniqueNames(toolNames);
  return progress({
    kind: 'tool_execution',
    message: `${label(position)} Executing tools: ${names.join(', ')}`,
    toolNames: names,
    ...position,
  });
}

export function toolHeartbeat(
  position: TurnPosition,
  toolNames: readonly string[],
  elapsedMs: number,
): StreamEvent {
  const names = uniqueNames(toolNames);
  return progress({
    kind: 'tool_heartbeat',
    message: `${label(position)} Still running ${names.join(', ')} (${formatDuration(elapsedMs)})`,
    toolNames: names,
    elapsedMs,
    ...position,
  });
}

/** A tool's own progress report (ToolContext.onProgress). */
export function toolReport(position: TurnPosition, toolName: string, message: string): StreamEvent {
  return progress({
    kind: 'tool_report',
    message: `${label(position)} ${toolName}: ${message}`,
    toolNames: [toolName],
    ...position,
  });
}

/** "[3/8] Summarised 12 earlier messages (summary model)": what the rolling summary did. */
export function rollingSummaryProgress(position: TurnPosition, text: string): StreamEvent {
  return progress({ kind: 'rolling_summary', message: `${label(position)} ${text}`, ...position });
}
