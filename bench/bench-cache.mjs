// Where the search benches keep what they fetch once (Debian's documentation text for the docs
// corpus, a static word-embedding model): $OXYDRA_BENCH_CACHE, else
// $XDG_CACHE_HOME/oxydra/bench or ~/.cache/oxydra/bench. Never inside the repository, so nothing
// fetched is committed and CI never sees it.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function benchCacheDir(...parts) {
  const fromEnv = process.env.OXYDRA_BENCH_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  const root = fromEnv
    ? fromEnv
    : join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'oxydra', 'bench');
  const dir = join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs a command with its output on stderr (the bench's progress), failing on a non-zero exit. */
export function run(command, args, options = {}) {
  process.stderr.write(`$ ${command} ${args.join(' ')}\n`);
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options }).toString();
}
