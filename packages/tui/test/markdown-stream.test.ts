/**
 * A reply's Markdown as it streams: which blocks are finished (and go to history), what the
 * open part looks like while it grows, and that the pieces add up to the whole reply.
 */
import type { ServerFrame } from '@oxydra/types/gateway';
import { describe, expect, it } from 'vitest';
import { commitPoint, finishedLength, NEW_OPEN_PART, SMALL_OPEN_PART } from '../src/markdown/blocks.js';
import { layoutMarkdown } from '../src/markdown/layout.js';
import type { Line } from '../src/markdown/lines.js';
import { LIVE_MARKDOWN_CHARS, layoutLive } from '../src/markdown/live.js';
import { reduceView } from '../src/view/reducer.js';
import { initialViewState, type ViewState } from '../src/view/state.js';

const text = (line: Line) => line.map((span) => span.text).join('');
const rows = (lines: readonly Line[]) => lines.map(text);

const SESSION = { user_id: 'alice', session_id: 'sess-aaaa-1111' };
const TURN = { turn_id: 't1', index: 0 };
const hello = reduceView(initialViewState(), {
  kind: 'hello',
  ack: { request_id: 'h', protocol_version: 2, session: SESSION },
  resumed: false,
});
function apply(state: ViewState, frame: ServerFrame): ViewState {
  return reduceView(state, { kind: 'frame', frame });
}
const delta = (piece: string): ServerFrame => ({
  type: 'assistant_delta',
  payload: { request_id: 'r1', session: SESSION, turn: TURN, delta: piece },
});
const completed = (message: string): ServerFrame => ({
  type: 'turn_completed',
  payload: {
    request_id: 'r1',
    session: SESSION,
    turn: TURN,
    response: {
      message,
      tool_calls: [],
      finish_reason: 'stop',
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  },
});

/** Deltas of 1 to 7 characters, as a model streams them (a fixed pattern, no randomness). */
function pieces(message: string): string[] {
  const out: string[] = [];
  for (let at = 0, n = 0; at < message.length; n++) {
    const size = 1 + ((n * 5) % 7);
    out.push(message.slice(at, at + size));
    at += size;
  }
  return out;
}

const REPLY = [
  '# Heading',
  'Intro with **bold** and `code`.',
  '',
  '- one',
  '- two',
  '  - nested',
  '',
  '```ts',
  'const x = 1;',
  '',
  'const y = 2;',
  '```',
  '',
  '| a | b |',
  '|---|--:|',
  '| 1 | 22 |',
  '',
  '> quote',
  '',
  '1. first',
  '',
  '2. second',
  '',
  '---',
  'The end.',
].join('\n');

describe('markdown streaming: finished blocks', () => {
  it('finishes a block only when the next one has begun on a complete line', () => {
    expect(finishedLength('')).toBe(0);
    expect(finishedLength('para')).toBe(0);
    expect(finishedLength('para\n\nnext')).toBe(0);
    expect(finishedLength('para\n\nnext\n')).toBe('para\n\n'.length);
    expect(finishedLength('para\nmore\n')).toBe(0); // the same paragraph
  });

  it('keeps the last block open while later lines could still change it', () => {
    expect(finishedLength('Title\n===\n')).toBe(0); // a paragraph that became a heading
    expect(finishedLength('a | b\n|---|---|\n| 1 | 2 |\n')).toBe(0); // a table growing rows
    expect(finishedLength('- a\n\n- b\n')).toBe(0); // one loose list
    expect(finishedLength('intro\n\n```js\ncode\n\nmore\n')).toBe('intro\n\n'.length); // open fence
    expect(finishedLength('```js\ncode\n```\n')).toBe(0); // closed, but nothing after it yet
    expect(finishedLength('```js\ncode\n```\nafter\n')).toBe('```js\ncode\n```\n'.length);
  });

  it('finishes an open code fence at its own closing line, scanning only the lines that arrived since', () => {
    let step = commitPoint('~~~~ md\ncode\n', NEW_OPEN_PART);
    expect(step).toEqual({ done: 0, open: { searchedLength: 13, fence: '~~~~', scannedTo: 13 } });
    step = commitPoint('~~~~ md\ncode\n~~~\nstill code\n', step.open); // too short to close it
    expect(step.done).toBe(0);
    expect(step.open.scannedTo).toBe('~~~~ md\ncode\n~~~\nstill code\n'.length);
    const closed = '~~~~ md\ncode\n~~~\nstill code\n~~~~~\n';
    expect(commitPoint(`${closed}next`, step.open)).toEqual({ done: closed.length, open: NEW_OPEN_PART });
  });

  it('searches a large open block again only once it has grown by a quarter', () => {
    const list = Array.from({ length: 2_000 }, (_, i) => `- item ${i}`).join('\n');
    expect(list.length).toBeGreaterThan(SMALL_OPEN_PART);
    const first = commitPoint(`${list}\n`, NEW_OPEN_PART);
    expect(first.done).toBe(0);
    // A paragraph has begun, but the list grew by less than a quarter since the last search.
    const soon = commitPoint(`${list}\n\nafter\n`, first.open);
    expect(soon).toEqual({ done: 0, open: first.open });
    const later = `${list}\n\nafter\n\n${'more text '.repeat(list.length / 20)}\n`;
    expect(commitPoint(later, first.open).done).toBe(`${list}\n\nafter\n\n`.length);
  });

  it('adds up to the whole reply: the history entries draw as the reply drawn at once', () => {
    let state = apply(hello, {
      type: 'turn_started',
      payload: { request_id: 'r1', session: SESSION, turn: TURN },
    });
    for (const piece of pieces(REPLY)) {
      state = apply(state, delta(piece));
      // The open part draws at every step, unfinished fence and ** included.
      expect(() => layoutLive(state.turn!.partial, 60, 20)).not.toThrow();
    }
    const streamedEntries = state.entries.length;
    expect(streamedEntries).toBeGreaterThan(5); // finished blocks went to history while streaming
    state = apply(state, completed(REPLY));
    expect(state.turn).toBeUndefined();
    const replies = state.entries.filter((entry) => entry.kind === 'assistant');
    expect(replies.slice(1).every((entry) => entry.continues)).toBe(true);
    const drawn = replies.flatMap((entry, i) => [...(i > 0 ? [[]] : []), ...layoutMarkdown(entry.text, 60)]);
    expect(rows(drawn)).toEqual(rows(layoutMarkdown(REPLY, 60)));
  });

  it('moves a long code fence to history whole, once it is finished', () => {
    const code = Array.from({ length: 2_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const reply = `\`\`\`\n${code}\n\`\`\`\nafter the code\n\nlast\n`;
    let state = hello;
    for (let at = 0; at < reply.length; at += 97) state = apply(state, delta(reply.slice(at, at + 97)));
    const replies = state.entries.filter((entry) => entry.kind === 'assistant');
    expect(replies.map((entry) => entry.text)).toEqual([`\`\`\`\n${code}\n\`\`\``, 'after the code']);
    expect(state.turn?.partial).toBe('last\n');
  });
});

describe('markdown streaming: the open part on screen', () => {
  it('shows unfinished emphasis as typed, then styled once it closes', () => {
    expect(rows(layoutLive('some **bold', 40, 10))).toEqual(['some **bold']);
    expect(rows(layoutLive('some **bold**', 40, 10))).toEqual(['some bold']);
  });

  it('draws an unfinished fence as code to the end of what has arrived', () => {
    expect(rows(layoutLive('```py\nprint(1)\n', 40, 10))).toEqual(['  ┌─ py', '  │ print(1)', '  └─']);
  });

  it('draws an open fence the reducer knows of from its last lines, framed, without a bottom', () => {
    const code = Array.from({ length: 5_000 }, (_, i) => `line ${i}`).join('\n');
    expect(rows(layoutLive(`\`\`\`js\n${code}\n`, 40, 5, true))).toEqual([
      '  ┌─ js',
      '⋯',
      '  │ line 4997',
      '  │ line 4998',
      '  │ line 4999',
    ]);
    expect(rows(layoutLive('```\nx\n', 40, 5, true))).toEqual(['  ┌─', '  │ x']);
    const hostile = layoutLive('```\x1b]0;title\x07js\n\x1b[2Jcode\n', 40, 5, true);
    expect(rows(hostile)).toEqual(['  ┌─ js', '  │ code']);
  });

  it('keeps to its last rows, marking that more is above', () => {
    const list = Array.from({ length: 50 }, (_, i) => `- item ${i}`).join('\n');
    const shown = rows(layoutLive(list, 40, 5));
    expect(shown).toEqual(['⋯', '• item 46', '• item 47', '• item 48', '• item 49']);
  });

  it('shows only the plain tail of an open part past the live limit', () => {
    const big = `\`\`\`\n${'a line of code\n'.repeat(LIVE_MARKDOWN_CHARS / 10)}the last line`;
    const shown = rows(layoutLive(big, 40, 4));
    expect(shown).toEqual(['⋯', 'a line of code', 'a line of code', 'the last line']);
  });
});
