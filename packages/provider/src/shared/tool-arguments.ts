/**
 * Tool-call argument text → object. Models sometimes emit invalid JSON; the runtime hands the
 * parse error back to the model rather than failing the turn, so this never throws.
 */

export interface ParsedArguments {
  arguments: Record<string, unknown>;
  parseError?: string;
}

export function parseToolArguments(text: string): ParsedArguments {
  // APIs send "" (Anthropic, Chat) for a call without arguments.
  if (text.trim() === '') return { arguments: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      arguments: {},
      parseError: `tool arguments are not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { arguments: {}, parseError: 'tool arguments must be a JSON object' };
  }
  return { arguments: value as Record<string, unknown> };
}
