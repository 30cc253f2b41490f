#!/usr/bin/env node
// The vector scan's cost per code: scoreCodes (JavaScript, the scan before code-scan.ts's CodeStore) against
// the code store's WebAssembly scan, on the same random codes and query, interleaved rounds,
// medians; also checks that both give the same scores to the bit. 256 dimensions (32-byte codes)
// unless --dims. Needs `npx tsc -b`.
// Usage: node bench/code-scan.mjs [--sizes 20000,100000] [--dims 256] [--rounds 21]
import { parseArgs } from 'node:util';
import { CodeStore, TopK } from '../packages/memory/dist/store/libsql/search-index/code-scan.js';
import {
  codeBytes,
  scoreCodes,
  scoreTables,
} from '../packages/memory/dist/store/libsql/search-index/codes.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,100000' },
    dims: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '21' },
  },
});
const dims = Number(values.dims);
const bytes = codeBytes(dims);
const rounds = Number(values.rounds);
let state = 42;
const random = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 2 ** 32;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round2 = (x) => Math.round(x * 100) / 100;

/** ns per code of one call of `run` over `count` codes. */
function time(run, count) {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / count;
}

const results = {};
for (const count of values.sizes.split(',').map(Number)) {
  const codes = new Uint8Array(count * bytes).map(() => Math.floor(random() * 256));
  const words = new Uint32Array(codes.buffer);
  const store = new CodeStore(bytes);
  store.grow(count);
  for (let slot = 0; slot < count; slot++) store.set(slot, codes.subarray(slot * bytes, (slot + 1) * bytes));
  const tables = scoreTables(Float32Array.from({ length: dims }, () => random() * 2 - 1));
  const js = new Float64Array(count);
  const wasm = new Float64Array(count);
  // The selection the cache runs after scoring (a pool of 512), for its share of the cost: a
  // TopK push costs ~100 ns (branch mispredictions in the heap), and a random order of 20,000
  // scores makes ~2,400 of them.
  const select = (scores) => {
    const top = new TopK(512);
    let threshold = top.threshold;
    for (let i = 0; i < count; i++) {
      const score = scores[i];
      if (score <= threshold) continue;
      top.push(i, score);
      threshold = top.threshold;
    }
  };
  const times = { js: [], wasm: [], select: [] };
  for (let r = 0; r < rounds; r++) {
    times.js.push(time(() => scoreCodes(words, count, bytes, tables, js), count));
    times.wasm.push(time(() => store.scoreInto(tables, count, wasm), count));
    times.select.push(time(() => select(wasm), count));
  }
  const a = new BigUint64Array(js.buffer);
  const b = new BigUint64Array(wasm.buffer);
  let differing = 0;
  for (let i = 0; i < count; i++) if (a[i] !== b[i]) differing++;
  results[count] = {
    js_ns_per_code: round2(median(times.js)),
    wasm_ns_per_code: round2(median(times.wasm)),
    ratio: round2(median(times.wasm) / median(times.js)),
    selection_ns_per_code: round2(median(times.select)),
    wasm_store: store.wasm,
    differing_scores: differing,
  };
}
process.stdout.write(
  `${JSON.stringify({ benchmark: 'code-scan', node: process.version, dims, bytes, rounds, results }, null, 2)}\n`,
);
