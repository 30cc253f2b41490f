#!/usr/bin/env node
// Token counting: the table-free estimator (packages/provider/src/catalog/estimate.ts) against
// gpt-tokenizer's exact o200k_base encoding, the counter it replaced (now a devDependency):
//  (a) accuracy per class of the corpus (packages/provider/test/fixtures/token-corpus.mjs: this
//      repository's prose, code and JSON, the recorded provider fixtures, generated CJK, other
//      scripts, emoji and base64): total error and the worst sample of 200+ characters; target
//      per class: total within -5%/+15%, no sample under by more than 10% (other scripts: 25%,
//      German compounds; see tokens-accuracy.test.ts);
//  (b) speed, ms per MB of each class (measured first, so the exact encoder's merge cache is cold
//      for each class's first pass): the estimator on the whole text and in 4 KB messages, the
//      exact encoder in 4 KB messages (first pass, then warm), beside a bare charCodeAt loop over
//      the same text for the machine's pace; target: estimator < 10 ms/MB;
//  (c) load, in a fresh process: importing the counter and its first count (ms), and the RSS and
//      heap it adds (beside a control importing a one-line module);
//  (d) hostile input through countTokens: a 10 MB single word, 1 MB of one character, deeply
//      nested JSON (ms).
// Usage: node bench/tokens.mjs [--runs N]   (prints one JSON object; needs `npx tsc -b`)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { estimateTokens } from '../packages/provider/dist/catalog/estimate.js';
import { countTokens } from '../packages/provider/dist/catalog/tokens.js';
import { tokenCorpus } from '../packages/provider/test/fixtures/token-corpus.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const MB = 1 << 20;

const providerPackage = new URL('../packages/provider/package.json', import.meta.url);
const require = createRequire(providerPackage);
const encoderPath = require.resolve('gpt-tokenizer/cjs/encoding/o200k_base');
const o200k = require(encoderPath);
const exact = (text) => o200k.countTokens(text, { disallowedSpecial: new Set() });

const corpus = tokenCorpus();

// ---- (b) speed ----
/** About 1 MB of a class: its samples joined (repeated when the class is smaller), flattened. */
function megabyte(samples) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < MB; i++) {
    const sample = samples[i % samples.length];
    parts.push(sample, '\n');
    size += sample.length + 1;
  }
  return Buffer.from(
    parts
      .join('')
      .slice(0, MB)
      .replace(/[\ud800-\udbff]$/, ''),
  ).toString();
}
const messages = (text) =>
  Array.from({ length: Math.ceil(text.length / 4096) }, (_, i) => text.slice(i * 4096, (i + 1) * 4096));
const perMb = (ms, text) => round((ms * MB) / text.length);
function timed(fn) {
  const begin = performance.now();
  fn();
  return performance.now() - begin;
}
function bare(text) {
  let x = 0;
  for (let i = 0; i < text.length; i++) x += text.charCodeAt(i) & 1;
  return x;
}

const speed = {};
for (const [name, samples] of Object.entries(corpus)) {
  const text = megabyte(samples);
  const chunks = messages(text);
  const exactCold = timed(() => chunks.forEach(exact));
  const exactWarm = [];
  const whole = [];
  const inMessages = [];
  const baseline = [];
  for (let i = 0; i < runs; i++) {
    exactWarm.push(timed(() => chunks.forEach(exact)));
    whole.push(timed(() => estimateTokens(text)));
    inMessages.push(timed(() => chunks.forEach(countTokens)));
    baseline.push(timed(() => bare(text)));
  }
  speed[name] = {
    chars: text.length,
    estimator_ms_per_mb: perMb(summarize(whole).median_ms, text),
    estimator_min_ms_per_mb: perMb(summarize(whole).min_ms, text),
    estimator_4kb_messages_ms_per_mb: perMb(summarize(inMessages).median_ms, text),
    exact_4kb_messages_cold_ms_per_mb: perMb(exactCold, text),
    exact_4kb_messages_warm_ms_per_mb: perMb(summarize(exactWarm).median_ms, text),
    bare_char_loop_ms_per_mb: perMb(summarize(baseline).median_ms, text),
  };
}

// ---- (a) accuracy ----
const BOUNDS = { under_pct: 5, over_pct: 15, sample_under_pct: 10, other_scripts_sample_under_pct: 25 };
const accuracy = {};
for (const [name, samples] of Object.entries(corpus)) {
  let estimated = 0;
  let truth = 0;
  let worst = Number.POSITIVE_INFINITY;
  for (const sample of samples) {
    const e = countTokens(sample);
    const x = exact(sample);
    estimated += e;
    truth += x;
    if (sample.length >= 200) worst = Math.min(worst, e / x);
  }
  const errorPct = (estimated / truth - 1) * 100;
  const worstPct = (worst - 1) * 100;
  const sampleUnder =
    name === 'other_scripts' ? BOUNDS.other_scripts_sample_under_pct : BOUNDS.sample_under_pct;
  accuracy[name] = {
    samples: samples.length,
    chars: samples.reduce((sum, sample) => sum + sample.length, 0),
    exact_tokens: truth,
    estimated_tokens: estimated,
    error_pct: round(errorPct),
    worst_sample_pct: round(worstPct),
    meets_target: errorPct >= -BOUNDS.under_pct && errorPct <= BOUNDS.over_pct && worstPct >= -sampleUnder,
  };
}

// ---- (c) load, in fresh processes ----
function load(importCounter, count) {
  const script = `
    const mem = () => { globalThis.gc(); const m = process.memoryUsage(); return [m.rss, m.heapUsed]; };
    const before = mem();
    const begin = performance.now();
    ${importCounter}
    const loaded = performance.now();
    ${count}
    const counted = performance.now();
    const after = mem();
    console.log(JSON.stringify({
      import_ms: loaded - begin,
      first_count_ms: counted - loaded,
      rss_added_mb: (after[0] - before[0]) / 2 ** 20,
      heap_added_mb: (after[1] - before[1]) / 2 ** 20,
    }));
  `;
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(child.stderr);
    samples.push(JSON.parse(child.stdout));
  }
  const median = (key) => round(summarize(samples.map((s) => s[key])).median_ms);
  return {
    import_ms: median('import_ms'),
    first_count_ms: median('first_count_ms'),
    rss_added_mb: median('rss_added_mb'),
    heap_added_mb: median('heap_added_mb'),
  };
}
const tokensModule = new URL('../packages/provider/dist/catalog/tokens.js', import.meta.url).href;
const loading = {
  // What importing any small module costs (the ESM loader's own start), for comparison.
  control: load(`await import('data:text/javascript,export default 1');`, ''),
  estimator: load(
    `const { countTokens } = await import(${JSON.stringify(tokensModule)});`,
    `countTokens('Hello, world!');`,
  ),
  exact_encoder: load(
    `const { createRequire } = await import('node:module'); const o200k = createRequire(import.meta.url)(${JSON.stringify(encoderPath)});`,
    `o200k.countTokens('Hello, world!', { disallowedSpecial: new Set() });`,
  ),
};

// ---- (d) hostile input ----
const HOSTILE = {
  single_word_10mb: 'a'.repeat(10 * MB),
  one_character_1mb: '='.repeat(MB),
  nested_json_1mb: `${'{"a":'.repeat(MB / 10)}1${'}'.repeat(MB / 10)}`,
};
const hostile = Object.fromEntries(
  Object.entries(HOSTILE).map(([name, text]) => {
    const samples = Array.from({ length: runs }, () => timed(() => countTokens(text)));
    const whole = Array.from({ length: runs }, () => timed(() => estimateTokens(text)));
    return [
      name,
      {
        chars: text.length,
        count_tokens_ms: summarize(samples).median_ms,
        whole_text_estimate_ms: summarize(whole).median_ms,
      },
    ];
  }),
);

/** Bytes on disk of gpt-tokenizer, which installs no longer pull in. */
function diskBytes(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}
const encoderRoot = fileURLToPath(new URL('.', `file://${require.resolve('gpt-tokenizer/package.json')}`));

const slowest = Math.max(...Object.values(speed).map((s) => s.estimator_ms_per_mb));
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'tokens',
      runs,
      accuracy,
      speed,
      load: loading,
      hostile,
      exact_encoder_package_mb: round(diskBytes(encoderRoot) / 2 ** 20, 1),
      targets: {
        accuracy: `per class: total within -${BOUNDS.under_pct}%/+${BOUNDS.over_pct}%, no sample of 200+ characters under by more than ${BOUNDS.sample_under_pct}% (other_scripts: ${BOUNDS.other_scripts_sample_under_pct}%)`,
        speed: 'estimator < 10 ms per MB of every class',
      },
      meets_target: {
        accuracy: Object.values(accuracy).every((a) => a.meets_target),
        speed: slowest < 10,
      },
    },
    null,
    2,
  )}\n`,
);
