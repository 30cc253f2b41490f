#!/bin/sh
':' //; if [ "$1" = gateway ]; then export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_-32768}" MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_-131072}" MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_-0}"; case "$NODE_OPTIONS" in *semi?space?size*) ;; *) h=--heap-growing-percent=30; [ -n "$OXYDRA_GATEWAY_HEAP_GROWING_PERCENT" ] && h=; exec node --min-semi-space-size=4 --max-semi-space-size=4 --compact-on-every-full-gc $h "$0" "$@" ;; esac; fi; exec node "$0" "$@"
// The two lines above are the launcher, read by sh when `oxydra` runs as a command, and a
// string and a comment to Node. They start `node` on this file as `#!/usr/bin/env node` would,
// and for `oxydra gateway`, a long-running daemon, size the process at start, the only time
// these can be set (README, "Memory"). The second line is generated from launch-table.cjs, the
// one table of each command's bundle, V8 flags, malloc settings and cache folder
// (node scripts/launcher-sh.mjs --write):
// - V8's young generation fixed at 2 x 4 MB, instead of growing from 2 x 1 MB to 32 MB (64-128
//   MB on Node 24 with a lot of RAM) as the first turns warm up; unless NODE_OPTIONS sets a
//   semi-space size itself (--max-semi-space-size=0 gives V8's own sizing, and no flag at all);
// - every full GC compacting the old generation: V8's own heuristics left half-empty pages
//   committed, 34 MB of old space for 19 MB live, growing with the run;
// - glibc's malloc at 2 arenas, blocks of 32 KB and more mapped on their own (given back when
//   freed), and the main heap trimmed once 128 KB at its top are free: the first second of load
//   (code compiled for the first turns) left that heap at 5 MB in one run and at 21-36 MB in
//   another, since glibc raises both thresholds as large blocks are freed. Each unless that
//   MALLOC_* variable is set.
// Under steady load that keeps the gateway flat near 100 MB RSS instead of 115-145 MB. The heap
// growing factor (src/run/gateway-heap.ts: its default, unless OXYDRA_GATEWAY_HEAP_GROWING_PERCENT
// is set) goes on the same command line, so every V8 flag is in place before any of our code
// compiles and the gateway can start from its code cache (code-cache.cjs); Node's built-ins are
// loaded with the flags at their defaults for a moment (loadStartBuiltins), for Node's own cache. Running this file with `node`
// directly skips the launcher: the process gets Node's defaults.
// CommonJS (bin/package.json), though the package is ES modules: Node runs an ES module entry
// point through its ES module loader (its module jobs, translators, import.meta; on Node 20 the
// facades of node:fs and readline too), set up at every start and, under the gateway's V8 flags,
// compiled from source, for a file that only requires CommonJS (the table, code-cache.cjs,
// bundle/main.cjs). The commands that run from the ES module bundle load it when they import it.
// Entry point. `--version` is answered before anything else loads so it stays as fast as
// Node itself. Every other command runs from the bundle that `npm run build` makes (one set of
// large files loads much faster than hundreds of small ones): most from its CommonJS copy with
// V8's compiled code cached between runs (code-cache.cjs); those that open the terminal UI, whose
// layout engine needs ES modules, from the ES module copy. OXYDRA_NO_BUNDLE=1 runs the
// unbundled dist/ instead, for debugging with source-shaped stack traces.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { HEAP_GROWING_FLAG, LAUNCH_TABLE, v8FlagDefault, v8FlagName } = require('./launch-table.cjs');

/** How `command` is started (launch-table.cjs); commands not listed take the defaults. */
const launchOf = (command) => (Object.hasOwn(LAUNCH_TABLE, command) ? LAUNCH_TABLE[command] : {});

/**
 * Node 22.1+ keeps V8's compiled code of ES modules between runs (module.enableCompileCache),
 * in the user's own cache folder like the CommonJS bundle's code cache. NODE_COMPILE_CACHE,
 * when set, is the user's choice and wins. Anything failing only means no cache.
 */
function enableCompileCache(privateCacheDir) {
  // Required here, not at the top: there it loaded before the gateway's flags were set back
  // (loadStartBuiltins), so it was compiled from source.
  const Module = require('node:module');
  if (typeof Module.enableCompileCache !== 'function' || process.env.NODE_COMPILE_CACHE) return;
  const dir = privateCacheDir('compile-cache');
  try {
    if (dir !== undefined) Module.enableCompileCache(dir);
  } catch {
    // No cache: the same program, loaded without it.
  }
}

/**
 * The other Node built-ins the commands that call a model (those with run-time V8 flags) load (sandboxed commands, the prompt, the web tools'
 * address checks, ...), loaded before the V8 flag like fetch (see below): ~4 ms less on Node
 * 22. packages/cli/test/run-e2e.test.ts fails when `oxydra run` loads one after the flag.
 */
const MODEL_COMMAND_BUILTINS = [
  'child_process',
  'dns/promises',
  'https',
  'os',
  'process',
  'readline',
  'readline/promises',
  'timers/promises',
  'fs/promises',
];

/**
 * Keeps WebAssembly on V8's baseline compiler for a command that calls a model. Node's fetch
 * parses HTTP with llhttp compiled to WebAssembly (undici); after a couple of responses V8
 * judges the parser hot and recompiles it with TurboFan on a background thread: ~27 MB of
 * compiler memory (a run's peak RSS goes from ~90 to ~118 MB) and a core's worth of work, for
 * code that then parses the few kilobytes a command still receives. A budget 100x V8's default
 * (1.8M) leaves that to processes that really stream a lot. It changes how fast code runs,
 * never what it does.
 *
 * Any V8 flag set at run time also makes V8 refuse the compiled code Node ships for its own
 * modules, and fetch is the largest of them (its first use took ~55 ms instead of ~28). So
 * fetch is loaded first (`new Headers()` loads all of it; its parser is instantiated later,
 * under the budget), and the flag is set before any of our code is compiled: V8 keys cached
 * code by its flags, so these commands keep their code cache in a folder of their own.
 */
function keepWasmOnBaselineTier(launch) {
  new Headers();
  for (const name of MODEL_COMMAND_BUILTINS) require(`node:${name}`);
  const v8 = require('node:v8');
  for (const flag of launch.runtimeV8Flags) v8.setFlagsFromString(flag);
  return launch.cacheDir;
}

/**
 * The Node built-ins `oxydra gateway` loads before it serves, beyond those in Node's start-up
 * snapshot: its HTTP server and what Node's net loads to listen (cluster, with dgram and
 * child_process), the bundle's own (crypto, streams, readline, v8, ...), and node:module, which
 * code-cache.cjs requires (with the ES module loader and source maps it loads).
 * packages/cli/test/gateway-builtins.test.ts fails when the gateway compiles one of them (or
 * what they load) without Node's cached code.
 */
const GATEWAY_BUILTINS = [
  'assert',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'diagnostics_channel',
  'dns',
  'fs/promises',
  'http',
  'module',
  'net',
  'os',
  'perf_hooks',
  'process',
  'readline',
  'readline/promises',
  'stream',
  'stream/promises',
  'string_decoder',
  'v8',
  'vm',
];

/**
 * V8's setFlagsFromString as node:v8 calls it, taken from Node's binding when Node gives it:
 * node:v8 itself loads heap_utils and Node's streams (~25 modules), which, required before the
 * flags are set back, were compiled from source under the launcher's flags (2.3% of the
 * gateway's start-up instructions). Node warns that process.binding('v8') is deprecated (DEP0111)
 * the first time; the warning is for code that reads the binding's internals, and this asks it
 * for the one function node:v8 hands on unchanged, so it is silenced for that call. Where Node
 * refuses the binding (its permission model) or has none, node:v8 as before.
 */
function v8FlagSetter() {
  const quiet = process.noDeprecation;
  try {
    process.noDeprecation = true;
    const { setFlagsFromString } = process.binding('v8');
    if (typeof setFlagsFromString === 'function') return (flags) => setFlagsFromString(flags);
  } catch {
    // No binding: node:v8 below.
  } finally {
    process.noDeprecation = quiet;
  }
  const v8 = require('node:v8');
  return (flags) => v8.setFlagsFromString(flags);
}

/**
 * Loads the gateway's built-ins with V8's flags at their defaults, then sets the launcher's back.
 * V8 refuses the code Node ships compiled for its own modules once any flag differs from its
 * default (the flags are part of the cache's key), so under the launcher's flags each built-in
 * was compiled from source: ~20 ms of every start. Set back to their defaults for a moment, the
 * flags match Node's cache again. This changes no memory setting: V8 sizes the young generation
 * once, when the process starts (the semi-space flags are not read again), and reads the
 * compaction and heap growing flags at each full GC, which is why they are set back, before any of
 * our code is compiled (its code cache is keyed by the launcher's flags). They are set through
 * Node's binding (v8FlagSetter), so node:v8 and the streams it loads come from the cache too.
 */
function loadStartBuiltins(launch) {
  // Each as the launcher gives it (`--name=value` or `--name`), whatever node was started with.
  const shapes = new Map([...launch.startV8Flags, `${HEAP_GROWING_FLAG}=`].map((f) => [v8FlagName(f), f.includes('=')]));
  const given = process.execArgv.filter((arg) => shapes.get(v8FlagName(arg)) === arg.includes('='));
  if (given.length === 0) return;
  const setFlags = v8FlagSetter();
  setFlags(given.map(v8FlagDefault).join(' '));
  try {
    for (const name of GATEWAY_BUILTINS) require(`node:${name}`);
    // Node 21+'s global navigator loads its module when first read, and a dependency reads it.
    void globalThis.navigator;
    // Node 20 and 22 load their resolver of a package's "exports" and "imports" maps (ES module
    // loader code the CommonJS one borrows) at the first require through one, which the gateway
    // makes before it serves (a dependency resolved through its exports). Resolving the one
    // import bin/package.json declares loads it now.
    require.resolve('#code-cache');
  } finally {
    setFlags(given.join(' '));
  }
}

/**
 * The gateway's code cache folder, when all its V8 flags were set at start (the launcher puts
 * the heap growing factor on the command line); set at run time instead (src/run/gateway-heap.ts,
 * as under `node bin/oxydra.js gateway`), they would make V8 refuse the cache at every start.
 */
function gatewayCacheFlags(launch) {
  const atStart = process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent=/.test(arg));
  return atStart ? launch.cacheDir : null;
}

/**
 * The command's `main`, and `save` for the code cache when it has one. `flags` names the V8
 * flags set for the command (codeCacheDir's folder), undefined when none, null for no cache.
 */
async function loadMain(command, caches, flags) {
  if (process.env.OXYDRA_NO_BUNDLE) return { main: (await import('../dist/main.js')).main };
  if (launchOf(command).bundle === 'esm') {
    enableCompileCache(caches.privateCacheDir);
    return { main: (await import('../bundle/main.mjs')).main };
  }
  // The one import() of a file outside the bundle (a plugin) goes through here: code V8
  // restores from a cache cannot run import() on Node 20 (types' importModule).
  globalThis[Symbol.for('oxydra.importModule')] = (url) => import(url);
  const entry = join(__dirname, '../bundle/main.cjs');
  const cacheDir = flags === null ? undefined : caches.codeCacheDir(flags);
  const { exports, save } = caches.requireWithCodeCache(entry, cacheDir, { pack: launchOf(command).cachePack === true });
  return { main: exports.main, save: () => save(exports.ensureLocalKey) };
}

/** Runs the command `args` names, then exits once what it wrote is flushed. */
async function run(args) {
  const launch = launchOf(args[0]);
  if (launch.startV8Flags) loadStartBuiltins(launch);
  // Here, not required above, so `--version` loads none of it; and before any V8 flag set at
  // run time, like the built-ins above: it loads node:vm.
  const caches = require('./code-cache.cjs');
  const flags = launch.runtimeV8Flags
    ? keepWasmOnBaselineTier(launch)
    : launch.heapGrowingPercent !== undefined
      ? gatewayCacheFlags(launch)
      : undefined;
  const { main, save } = await loadMain(args[0], caches, flags);
  await main(args);
  // The command is done. Idle keep-alive sockets and SDK timers would hold the process open
  // for a while longer; exit as soon as what was written has been flushed.
  const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  await save?.();
  process.exit();
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  // A failure is an unhandled rejection: Node prints it and exits with 1, as it did for the
  // rejected top-level await of the ES module launcher.
  void run(args);
}
