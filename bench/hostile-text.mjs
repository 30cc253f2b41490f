#!/usr/bin/env node
// Text processing on untrusted input, which must stay linear (or bounded) so that no page, prompt
// or file freezes the event loop:
//  (a) html-to-text (web_fetch) on an ordinary article and on hostile pages: ms and chars/ms;
//  (b) token counting on ordinary and hostile 150 KB texts: ms, and the count's error against
//      the exact encoder where the exact count is affordable;
//  (c) the scrubber, the send_file credential check and the .gitignore matcher on hostile inputs: ms;
//  (d) the real `oxydra gateway`: /healthz polled back to back while an agent web_fetches a
//      hostile page, then while it handles a 150 KB one-word prompt: polls answered and their
//      latency (target: every poll answered, max < 100 ms), after a benign warm-up (a small
//      fetch, a long prompt) whose figures show what first use costs (module and table loads).
// Usage: node bench/hostile-text.mjs [--runs N] (prints one JSON object; needs `npm run build`)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { countTokens } from '../packages/provider/dist/catalog/index.js';
import { seededRandom, startMockLLM } from '../packages/testkit/dist/index.js';
import { scrubText } from '../packages/tools/dist/scrub.js';
import { GitIgnore } from '../packages/tools/dist/search/gitignore.js';
import { loadHtmlParser } from '../packages/tools/dist/web/html-scan.js';
import { htmlToText } from '../packages/tools/dist/web/html-to-text.js';
import { credentialIn } from '../packages/types/dist/config/secret-shapes.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const round = (x) => Math.round(x * 100) / 100;
const random = seededRandom(42);
await loadHtmlParser();
const randomText = (length, alphabet) =>
  Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

/**
 * Timings of `runs` calls of fn(input): the first (the encoder's merge cache is cold then, so for
 * token counting it is the one that counts), the median and the maximum, with chars per ms.
 */
function measure(input, fn) {
  const samples = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    result = fn(input);
    samples.push(performance.now() - begin);
  }
  const { median_ms, max_ms } = summarize(samples);
  return {
    chars: input.length,
    first_ms: round(samples[0]),
    median_ms,
    max_ms,
    chars_per_ms: round(input.length / Math.max(median_ms, 0.001)),
    result,
  };
}

// ---- (a) html-to-text ----
const article = `<html><head><title>Article</title><style>p{}</style></head><body><nav><a href="/">Home</a></nav>${'<h2>Section</h2><p>Some <b>bold</b> and <a href="/link">linked</a> text, with &amp; entities.</p><ul><li>one</li><li>two</li></ul><pre>code  block</pre>'.repeat(
  2_000,
)}</body></html>`;
const HOSTILE_PAGES = {
  pre_spaces_then_blocks: `<pre>${' '.repeat(20_000)}x</pre>${'<p>'.repeat(5_000)}`,
  deep_nesting: `${'<div>'.repeat(200_000)}x${'</span>'.repeat(200_000)}`,
  table_cells: '<tr><td>a<td>b'.repeat(50_000),
  unclosed_links: '<a href="/n">y'.repeat(50_000),
  unclosed_comments: '<!--'.repeat(200_000),
};
const html = Object.fromEntries(
  Object.entries({ article, ...HOSTILE_PAGES }).map(([name, page]) => {
    const { result: _, ...figures } = measure(page, (text) => htmlToText(text, 'https://bench.example/'));
    return [name, figures];
  }),
);

// ---- (b) token counting ----
const require = createRequire(new URL('../packages/provider/package.json', import.meta.url));
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base');
const exact = (text) => o200k.countTokens(text, { disallowedSpecial: new Set() });
// The user documentation as one ordinary text: the README and the docs/ pages its reference moved to.
const docs = new URL('../docs/', import.meta.url);
const readme = [
  readFileSync(new URL('../README.md', import.meta.url), 'utf8'),
  ...readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => readFileSync(new URL(name, docs), 'utf8')),
].join('\n');
const words = randomText(150_000, 'abcdefghijklmnopqrstuvwxyz')
  .match(/.{1,12}/g)
  .join(' ');
const TEXTS = {
  readme: { text: readme, exact: true },
  random_words: { text: words, exact: true },
  one_letter_word: { text: 'a'.repeat(150_000) },
  random_letters_word: { text: randomText(150_000, 'abcdefghijklmnopqrstuvwxyz') },
  cjk_without_punctuation: { text: randomText(150_000, '中文字符汉语言测试数据') },
  spaces: { text: ' '.repeat(150_000) },
};
countTokens('load the encoder');
const tokens = Object.fromEntries(
  Object.entries(TEXTS).map(([name, { text, exact: compare }]) => {
    const { result, ...figures } = measure(text, countTokens);
    const row = { ...figures, tokens: result };
    if (compare) {
      const truth = exact(text);
      row.exact_tokens = truth;
      row.error_pct = round((result / truth - 1) * 100);
    }
    return [name, row];
  }),
);

// ---- (c) scrubber and .gitignore ----
const strip = ({ result: _, ...figures }) => figures;
const scrub = {
  dot_runs: strip(measure(`${'.'.repeat(510)}a1 `.repeat(400), (text) => scrubText(text))),
  keyword_runs: strip(measure('authorization: token='.repeat(10_000), (text) => scrubText(text))),
  // `[[send_file]]`'s credential check (secret-shapes.ts) on lines of blanks after a value: was
  // quadratic in a line's blanks.
  credential_blank_runs: strip(
    measure(`k=a${' '.repeat(8000)}b\n`.repeat(200), (text) => credentialIn(text)),
  ),
};
const gitignore = {
  stars_vs_50_char_name: strip(
    measure('a'.repeat(50), (name) => new GitIgnore('', '*a*a*a*a*a*a*a*a*b\n').verdict(name, false)),
  ),
};

// ---- (d) /healthz during hostile requests to the real gateway ----
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const TOKEN = 'bench-hostile-token-0123456789';
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-hostile-'));
let gateway;
process.on('exit', () => {
  gateway?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const hostilePage = Object.values(HOSTILE_PAGES).join('');
const benignPage = '<html><body><h1>Benign</h1><p>A small page.</p></body></html>';
const pageServer = createServer((request, response) =>
  response
    .writeHead(200, { 'content-type': 'text/html' })
    .end(request.url === '/benign' ? benignPage : hostilePage),
);
await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
const pagePort = pageServer.address().port;
const mock = await startMockLLM({
  api: 'openai-chat',
  scenario: [
    // Warm-up: a benign fetch and a long benign prompt load what a first use loads (the
    // provider SDK, the web tools, the tokenizer's tables), measured apart from the hostile runs.
    {
      reply: {
        toolCalls: [{ name: 'web_fetch', arguments: { url: `http://127.0.0.1:${pagePort}/benign` } }],
      },
    },
    { reply: { text: 'Warmed.' } },
    { reply: { text: 'Counted.' } },
    { reply: { toolCalls: [{ name: 'web_fetch', arguments: { url: `http://127.0.0.1:${pagePort}/` } }] } },
    { reply: { text: 'Fetched.' } },
    { reply: { text: 'Counted.' }, times: 'always' },
  ],
});
mkdirSync(join(root, 'ws', '.oxydra'), { recursive: true });
writeFileSync(
  join(root, 'ws', '.oxydra', 'agent.toml'),
  `[selection]\nprovider = "mock"\nmodel = "gpt-4o-mini"\n\n[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${mock.url}"\napi_key = "sk-bench-0123456789"\ncatalog_provider = "openai"\n\n[tools]\napproval = "auto"\n\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${pagePort}"]\n`,
);
gateway = spawn(process.execPath, [bin, 'gateway', '--bind', '127.0.0.1:0', '--log-format', 'json'], {
  cwd: join(root, 'ws'),
  env: { PATH: process.env.PATH, HOME: join(root, 'home'), OXYDRA_GATEWAY_TOKEN: TOKEN },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  gateway.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /listening on (http\S+?)[\s"]/.exec(out);
    if (match) resolve(match[1]);
  });
  gateway.once('exit', (code) => reject(new Error(`oxydra gateway exited ${code}`)));
});

const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
  headers: { authorization: `Bearer ${TOKEN}` },
});
await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
/** The next frame of one of `types`. */
const frameOf = (types) =>
  new Promise((resolve) => {
    const onMessage = (data) => {
      const frame = JSON.parse(data.toString());
      if (!types.includes(frame.type)) return;
      socket.off('message', onMessage);
      resolve(frame);
    };
    socket.on('message', onMessage);
  });
const send = (type, payload) => socket.send(JSON.stringify({ type, payload }));
const ack = frameOf(['hello_ack', 'error']);
send('hello', { request_id: 'h', protocol_version: 2, user_id: 'bench' });
const sessionId = (await ack).payload.session.session_id;

/** /healthz latencies while one turn with `prompt` runs. */
async function healthDuring(turnId, prompt) {
  const latencies = [];
  let running = true;
  const polling = (async () => {
    while (running) {
      const begin = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      latencies.push(performance.now() - begin);
    }
  })();
  const done = frameOf(['turn_completed', 'error', 'turn_cancelled']);
  send('send_turn', { request_id: turnId, session_id: sessionId, turn_id: turnId, prompt });
  const frame = await done;
  running = false;
  await polling;
  if (frame.type !== 'turn_completed') throw new Error(`turn failed: ${JSON.stringify(frame.payload)}`);
  const { runs: polls, median_ms, p90_ms, max_ms } = summarize(latencies);
  return { polls_answered: polls, median_ms, p90_ms, max_ms };
}
const healthz = {
  page_chars: hostilePage.length,
  during_first_web_fetch_benign: await healthDuring('w1', 'Read the small page.'),
  during_first_long_prompt_benign: await healthDuring('w2', readme.repeat(2)),
  during_hostile_web_fetch: await healthDuring('t1', 'Read the page.'),
  during_150kb_one_word_prompt: await healthDuring('t2', 'a'.repeat(150_000)),
};
socket.close();
gateway.kill('SIGTERM');
await mock.close();
pageServer.close();

process.stdout.write(
  `${JSON.stringify({ bench: 'hostile-text', runs, html, tokens, scrub, gitignore, healthz }, null, 2)}\n`,
);
