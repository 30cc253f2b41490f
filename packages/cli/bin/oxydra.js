#!/bin/sh
':' //; if [ "$1" = gateway ]; then export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX-2}"; case "$NODE_OPTIONS" in *semi?space?size*) ;; *) exec node --max-semi-space-size=4 "$0" "$@" ;; esac; fi; exec node "$0" "$@"
// The two lines above are the launcher, read by sh when `oxydra` runs as a command, and a
// string and a comment to Node. They start `node` on this file as `#!/usr/bin/env node` would,
// and for `oxydra gateway`, a long-running daemon, size the process at start, the only time
// these can be set: V8's young generation at 2 x 4 MB instead of 32 MB (64-128 MB on Node 24
// with a lot of RAM), unless NODE_OPTIONS sets --max-semi-space-size itself (=0 gives V8's own
// size), and glibc's malloc arenas at 2 unless MALLOC_ARENA_MAX is set. Under steady load that
// keeps the gateway near 110-120 MB RSS instead of 150-280 MB (README, "Memory"). Running this
// file with `node` directly skips the launcher: the process gets Node's defaults.
// Entry point. `--version` is answered before anything else loads so it stays as fast as
// Node itself. Every other command runs from the bundle that `npm run build` makes (one set of
// large files loads much faster than hundreds of small ones); OXYDRA_NO_BUNDLE=1 runs the
// unbundled dist/ instead, for debugging with source-shaped stack traces.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Node 22.1+ keeps V8's compiled code of the bundle between runs (module.enableCompileCache),
 * which spares most of the module loading every command pays. The cache goes in the user's
 * own cache folder (<$XDG_CACHE_HOME or ~/.cache>/oxydra/compile-cache, made 0700), never a
 * shared one such as Node's default under /tmp: compiled code read from a folder another user
 * can write would run as ours. NODE_COMPILE_CACHE, when set, is the user's choice and wins.
 * Anything failing (a read-only home) only means no cache.
 */
function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function' || process.env.NODE_COMPILE_CACHE) return;
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const root = xdg && isAbsolute(xdg) ? xdg : join(process.env.HOME || homedir(), '.cache');
    const dir = join(root, 'oxydra', 'compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A folder made by someone else, or that others may write, is not used.
    const info = statSync(dir);
    if (info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) return;
    module.enableCompileCache(dir);
  } catch {
    // No cache: the same program, loaded without it.
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  enableCompileCache();
  const { main } = process.env.OXYDRA_NO_BUNDLE
    ? await import('../dist/main.js')
    : await import('../bundle/main.mjs');
  await main(args);
  // The command is done. Idle keep-alive sockets and SDK timers would hold the process open
  // for a while longer; exit as soon as what was written has been flushed.
  const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}
