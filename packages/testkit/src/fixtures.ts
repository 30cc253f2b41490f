/**
 * Replaying recorded provider responses (the `*.chunks.txt` and `*.json` files of
 * ../shared/fixtures/providers) exactly as the fixtures README frames them: each line is a
 * `data:` payload sent verbatim, named by its `type` for Responses and Anthropic, followed by
 * `data: [DONE]` for OpenAI Chat, CRLF-framed for Gemini. A file that is already SSE-framed
 * (google-usage-raw-live) is sent byte for byte unless a line ending is forced.
 */
import { readFile } from 'node:fs/promises';
import { frameEvent, type LineEnding, type SseEvent } from './sse.js';
import { type MockApi, WIRES } from './wire/index.js';
import type { WireApi } from './wire/types.js';

export type FixtureReplay =
  | { kind: 'events'; events: SseEvent[] }
  /** A complete non-streaming body; error envelopes are served with their error status. */
  | { kind: 'json'; status: number; json: string };

export type LineEndingOption = 'lf' | 'crlf';

/** Google frames with CRLF; everyone else with LF. */
export function lineEndingFor(api: MockApi, option: LineEndingOption | undefined): LineEnding {
  const chosen = option ?? (api === 'gemini' ? 'crlf' : 'lf');
  return chosen === 'crlf' ? '\r\n' : '\n';
}

/** Split an SSE-framed file into its frames, keeping each frame's exact bytes. */
function preFramedEvents(text: string, keepRaw: boolean): SseEvent[] {
  const frames = text.split(/(?<=\r?\n\r?\n)/).filter((frame) => frame.trim() !== '');
  return frames.map((frame) => {
    const fields = frame.split(/\r?\n/);
    const event = fields.find((line) => line.startsWith('event: '))?.slice('event: '.length);
    const data = fields
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length))
      .join('\n');
    return { ...(event === undefined ? {} : { event }), data, ...(keepRaw ? { raw: frame } : {}) };
  });
}

/** The status a recorded JSON body was served with: 200, or its error's status. */
function jsonStatus(json: string): number {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) return 200;
  const code = (parsed as { error: { code?: unknown } }).error?.code;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 400;
}

export async function loadFixture(
  path: string,
  wire: WireApi,
  lineEnding?: LineEndingOption,
): Promise<FixtureReplay> {
  const text = await readFile(path, 'utf8');
  if (path.endsWith('.json')) return { kind: 'json', status: jsonStatus(text), json: text };
  if (text.startsWith('data: ') || text.startsWith('event: ')) {
    return { kind: 'events', events: preFramedEvents(text, lineEnding === undefined) };
  }
  const lines = text.split('\n').filter((line) => line !== '');
  return { kind: 'events', events: wire.fixtureEvents(lines) };
}

/**
 * The exact bytes the mock server sends for a fixture, for adapter tests that parse a stream
 * without opening a socket.
 */
export async function fixtureToWire(
  path: string,
  api: MockApi,
  options: { lineEnding?: LineEndingOption } = {},
): Promise<string> {
  const replay = await loadFixture(path, WIRES[api], options.lineEnding);
  if (replay.kind === 'json') return replay.json;
  const eol = lineEndingFor(api, options.lineEnding);
  return replay.events.map((event) => frameEvent(event, eol)).join('');
}
