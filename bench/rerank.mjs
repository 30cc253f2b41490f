#!/usr/bin/env node
// The rerank of the vector scan's pool (512 int16 copies at 256 dimensions) and the whole
// `nearest` (scan, selection, rerank) it is part of.
// 1. Int16Vectors's dot products (CPU time) in JavaScript against WebAssembly (query-memo.ts, code-scan.ts),
//    this build, the same vectors and pools, interleaved rounds, medians; also checks both give
//    the same similarities to the bit.
// 2. VectorCache.nearest with a query not met lately (a full scan, its selection and rerank) in this
//    build against --baseline-root's (e.g. /work/main), on the same libSQL file, interleaved, CPU time.
// Needs `npx tsc -b` in both builds.
// Usage: node bench/rerank.mjs [--size 20000] [--rounds 15] [--baseline-root /work/main]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '15' },
    'baseline-root': { type: 'string' },
  },
});
const dist = (root, file) =>
  import(pathToFileURL(join(resolve(root), 'packages', 'memory', 'dist', file)).href);
const here = new URL('..', import.meta.url).pathname;
const memo = await dist(here, 'store/libsql/search-index/query-memo.js');
const codes = await dist(here, 'store/libsql/search-index/codes.js');
const DIMS = 256;
const POOL = 512;
const size = Number(values.size);
const rounds = Number(values.rounds);
let state = 42;
const random = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 2 ** 32;
};
const vector = () => Float32Array.from({ length: DIMS }, () => random() * 2 - 1);
const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round2 = (x) => Math.round(x * 100) / 100;

// --- 1. The rerank's dot products alone. ---
const js = new memo.Int16Vectors(DIMS, undefined, Number.POSITIVE_INFINITY);
const wasm = new memo.Int16Vectors(DIMS, undefined, 0);
js.grow(size);
wasm.grow(size);
for (let slot = 0; slot < size; slot++) {
  const blob = codes.vectorBlob(vector());
  js.set(slot, blob);
  wasm.set(slot, blob);
}
const pools = Array.from({ length: 50 }, () => ({
  query: memo.rerankQuery(vector()),
  slots: Int32Array.from({ length: POOL }, () => Math.floor(random() * size)),
}));
let differing = 0;
const rerank = (store, sink) => {
  const start = cpuNs();
  for (const { query, slots } of pools) {
    for (let i = 0; i < slots.length; i++) sink[i] = store.similarity(slots[i], query);
  }
  return (cpuNs() - start) / pools.length / 1000;
};
const times = { js: [], wasm: [] };
const a = new Float64Array(POOL);
const b = new Float64Array(POOL);
for (let r = 0; r < rounds + 5; r++) {
  const tj = rerank(js, a);
  const tw = rerank(wasm, b);
  if (r >= 5) {
    times.js.push(tj);
    times.wasm.push(tw);
  }
}
for (const { query, slots } of pools) {
  for (const slot of slots) {
    if (!Object.is(js.similarity(slot, query), wasm.similarity(slot, query))) differing++;
  }
}
const result = {
  rerank_512: {
    js_us: round2(median(times.js)),
    wasm_us: round2(median(times.wasm)),
    ratio: round2(median(times.wasm) / median(times.js)),
    differing_similarities: differing,
  },
};

// --- 2. nearest, this build against the baseline's. ---
if (values['baseline-root'] !== undefined) {
  const { openDatabase } = await dist(here, 'store/libsql/db.js');
  const { migrate } = await dist(here, 'store/libsql/migrate.js');
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-rerank-'));
  const client = await openDatabase({ path: join(dir, 'memory.db') });
  try {
    await migrate(client);
    const builds = {
      this: (await dist(here, 'store/libsql/search-index/vector-cache.js')).VectorCache,
      baseline: (await dist(values['baseline-root'], 'store/libsql/search-index/vector-cache.js'))
        .VectorCache,
    };
    const model = { id: 'bench-256', dims: DIMS };
    const caches = Object.fromEntries(
      Object.entries(builds).map(([name, VectorCache]) => [name, new VectorCache(client, model.id, DIMS)]),
    );
    // Loaded empty first: the rows added afterwards arrive with their float vectors (copies in memory).
    for (const cache of Object.values(caches)) await cache.refresh();
    for (let from = 0; from < size; from += 1000) {
      const statements = [];
      for (let i = from; i < Math.min(size, from + 1000); i++) {
        const row = {
          sourceType: 'note',
          sourceId: `n${i}`,
          sessionId: undefined,
          userId: undefined,
          ordinal: 0,
          text: `note ${i}`,
          hash: `h${i}`,
          tags: '[]',
          taint: null,
          createdAt: new Date(0).toISOString(),
        };
        statements.push(...codes.insertChunk(row, codes.storedVector(vector()), model));
      }
      await client.batch(statements, 'write');
    }
    for (const cache of Object.values(caches)) await cache.refresh();
    const filter = {
      includeNotes: true,
      includeConversation: true,
      userId: undefined,
      sessionId: undefined,
      tags: [],
    };
    // 100 distinct queries, each met again only after 99 others: never in the memos (4 kept).
    const queries = Array.from({ length: 100 }, vector);
    const nearest = (cache) => {
      const start = cpuNs();
      for (const query of queries) {
        const got = cache.nearest(query, POOL, 32, filter);
        if (!(got instanceof Map) || got.size !== 32) throw new Error('nearest did not rerank in memory');
      }
      return (cpuNs() - start) / queries.length / 1000;
    };
    const same = queries.slice(0, 5).every((query) => {
      const x = [...caches.this.nearest(query, POOL, 32, filter)];
      const y = [...caches.baseline.nearest(query, POOL, 32, filter)];
      return JSON.stringify(x) === JSON.stringify(y);
    });
    const t = { this: [], baseline: [] };
    for (let r = 0; r < rounds + 3; r++) {
      const order = r % 2 === 0 ? ['this', 'baseline'] : ['baseline', 'this'];
      for (const name of order) {
        const us = nearest(caches[name]);
        if (r >= 3) t[name].push(us);
      }
    }
    result.nearest = {
      vectors: size,
      this_cpu_us: round2(median(t.this)),
      baseline_cpu_us: round2(median(t.baseline)),
      ratio: round2(median(t.this) / median(t.baseline)),
      same_results: same,
    };
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(result, null, 2));
