// The one table of how each `oxydra` command is started: which bundle it runs from, the V8
// flags it gets at start (on the command line) or at run time, the glibc malloc settings, and
// the folder its compiled code is cached in (V8 keys cached code by its flags). Plain data with
// no imports, and CommonJS, so bin/oxydra.js (CommonJS too) requires it before the bundle without
// Node's ES module loader; ES modules import it through launch-table.mjs: the gateway through
// src/run/gateway-heap.ts, and scripts/launcher-sh.mjs, which generates the sh line at the top
// of bin/oxydra.js from it (node scripts/launcher-sh.mjs --write; scripts/check-one-home.mjs
// fails when it is stale).
// Why each value is what it is: the comments of bin/oxydra.js and src/run/gateway-heap.ts.

/** The V8 flag for the gateway's heap growing factor (how far old space may grow past what survived). */
const HEAP_GROWING_FLAG = '--heap-growing-percent';

/** The variable that overrides the gateway's heap growing factor (0: V8's own sizing). */
const HEAP_GROWING_PERCENT_ENV = 'OXYDRA_GATEWAY_HEAP_GROWING_PERCENT';

/**
 * Commands not listed run from the CommonJS bundle with no flags and the default cache.
 * - bundle: 'esm' (bundle/main.mjs, Node's compile cache) or 'cjs' (bundle/main.cjs, our code cache);
 * - runtimeV8Flags: set with v8.setFlagsFromString before any of our code compiles;
 * - startV8Flags: put on node's command line by the sh line, unless NODE_OPTIONS matches `unlessNodeOptions`;
 * - heapGrowingPercent: the default --heap-growing-percent, on the command line unless HEAP_GROWING_PERCENT_ENV is set;
 * - malloc: glibc's malloc variables, each unless the user set it;
 * - cacheDir: the code cache folder for these flags (see codeCacheDir in code-cache.cjs);
 * - cachePack: the files' cached code read from one pack file of that folder (readPack in code-cache.cjs).
 */
const LAUNCH_TABLE = {
  tui: { bundle: 'esm' },
  runner: { bundle: 'esm' },
  run: { bundle: 'cjs', runtimeV8Flags: ['--wasm-tiering-budget=180000000'], cacheDir: 'wasm-baseline' },
  chat: { bundle: 'cjs', runtimeV8Flags: ['--wasm-tiering-budget=180000000'], cacheDir: 'wasm-baseline' },
  demo: { bundle: 'cjs', runtimeV8Flags: ['--wasm-tiering-budget=180000000'], cacheDir: 'wasm-baseline' },
  gateway: {
    bundle: 'cjs',
    startV8Flags: ['--min-semi-space-size=4', '--max-semi-space-size=4', '--compact-on-every-full-gc'],
    unlessNodeOptions: '*semi?space?size*',
    heapGrowingPercent: 30,
    malloc: {
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '32768',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MALLOC_TOP_PAD_: '0',
    },
    cacheDir: 'gateway',
    cachePack: true,
  },
};

/** A V8 flag's name as V8 reads it: `--no-` and the value aside, dashes for underscores. */
const v8FlagName = (arg) =>
  arg
    .replace(/^--(no-)?/, '')
    .split('=')[0]
    .replaceAll('_', '-');

/**
 * `arg` (one of the launcher's V8 flags) set back to V8's default: every one of them defaults
 * to 0 or off (packages/cli/test/gateway-builtins.test.ts checks against `node --v8-options`).
 */
const v8FlagDefault = (arg) => (arg.includes('=') ? `--${v8FlagName(arg)}=0` : `--no-${v8FlagName(arg)}`);

module.exports = { HEAP_GROWING_FLAG, HEAP_GROWING_PERCENT_ENV, LAUNCH_TABLE, v8FlagDefault, v8FlagName };
