#!/usr/bin/env node
// The terminal UI's Markdown, as a reply streams in (no terminal: the work the TUI does per
// delta, without Ink's own drawing):
//  (a) a 20 KB Markdown reply (headings, lists, code fences, tables, links) in 1,000 deltas
//      through the view reducer, laying out the open part after every delta (what the screen
//      redraws) and every block once when it goes to the history: ms per delta and in all;
//  (b) the same reply laid out whole (what a reply that was not streamed costs);
//  (c) a 200 KB code fence streamed in 2,000 deltas (the open part grows the whole time: the
//      search for finished blocks must stay linear);
//  (d) hostile layouts: a 100,000-character line, 20,000 list items, 50,000 CJK characters,
//      5,000 nested quotes, 100,000 '[' : ms each.
// Usage: node bench/tui-markdown.mjs [--runs N] (prints one JSON object; needs `npm run build`)
import { parseArgs } from 'node:util';
import { layoutMarkdown } from '../packages/tui/dist/markdown/layout.js';
import { layoutLive } from '../packages/tui/dist/markdown/live.js';
import { reduceView } from '../packages/tui/dist/view/reducer.js';
import { initialViewState } from '../packages/tui/dist/view/state.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const WIDTH = 100;
const ROWS = 30;
const round = (x) => Math.round(x * 100) / 100;

const SESSION = { user_id: 'bench', session_id: 'sess-bench-0001' };
const TURN = { turn_id: 't1', index: 0 };

function reply20k() {
  const sections = [];
  for (let i = 0; sections.join('\n\n').length < 20_000; i++) {
    sections.push(
      `## Step ${i}\n\nRun **this** and _that_ with \`npm test\`; see [the guide](https://example.com/${i}).`,
      `- first point ${i}\n- second point, longer, so that it wraps somewhere on a narrow screen\n  - nested`,
      `\`\`\`ts\nexport function step${i}(x: number) {\n  return x * ${i};\n}\n\`\`\``,
      `| name | count |\n|------|------:|\n| alpha | ${i} |\n| beta | ${i * 2} |`,
    );
  }
  return sections.join('\n\n').slice(0, 20_000);
}

function deltas(text, count) {
  const size = Math.ceil(text.length / count);
  const out = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

/** Stream `pieces` through the reducer as the app would draw them; ms per delta. */
function stream(pieces) {
  let state = reduceView(initialViewState(), {
    kind: 'hello',
    ack: { request_id: 'h', protocol_version: 2, session: SESSION },
    resumed: false,
  });
  const perDelta = [];
  let drawn = 0;
  for (const delta of pieces) {
    const begin = performance.now();
    state = reduceView(state, {
      kind: 'frame',
      frame: { type: 'assistant_delta', payload: { request_id: 'r', session: SESSION, turn: TURN, delta } },
    });
    // New history entries are laid out once (Static prints them once), the open part every time.
    for (; drawn < state.entries.length; drawn++) layoutMarkdown(state.entries[drawn].text, WIDTH);
    if (state.turn) layoutLive(state.turn.partial, WIDTH, ROWS, state.turn.open.fence !== undefined);
    perDelta.push(performance.now() - begin);
  }
  return { perDelta, entries: state.entries.length };
}

function measureStream(text, count) {
  const pieces = deltas(text, count);
  const totals = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    last = stream(pieces);
    totals.push(performance.now() - begin);
  }
  const { median_ms, max_ms } = summarize(totals);
  const delta = summarize(last.perDelta);
  return {
    chars: text.length,
    deltas: pieces.length,
    history_entries: last.entries,
    total_median_ms: median_ms,
    total_max_ms: max_ms,
    per_delta_median_ms: delta.median_ms,
    per_delta_p90_ms: delta.p90_ms,
    per_delta_max_ms: delta.max_ms,
  };
}

function measure(fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    fn();
    samples.push(performance.now() - begin);
  }
  const { median_ms, max_ms } = summarize(samples);
  return { median_ms: round(median_ms), max_ms: round(max_ms) };
}

const reply = reply20k();
const fence = `\`\`\`\n${'const value = compute(previous, next); // a line of code\n'.repeat(3_600)}\`\`\`\ndone\n`;
const hostile = {
  line_100k: 'x'.repeat(100_000),
  list_items_20k: Array.from({ length: 20_000 }, (_, i) => `- item ${i}`).join('\n'),
  cjk_50k: '字'.repeat(50_000),
  nested_quotes_5k: `${'> '.repeat(5_000)}deep`,
  brackets_100k: '['.repeat(100_000),
};

const result = {
  width: WIDTH,
  runs,
  stream_20kb_1000_deltas: measureStream(reply, 1_000),
  layout_20kb_whole: measure(() => layoutMarkdown(reply, WIDTH)),
  stream_200kb_fence_2000_deltas: measureStream(fence, 2_000),
  hostile: Object.fromEntries(
    Object.entries(hostile).map(([name, text]) => [
      name,
      { chars: text.length, ...measure(() => layoutMarkdown(text, WIDTH)) },
    ]),
  ),
};
console.log(JSON.stringify(result, null, 2));
