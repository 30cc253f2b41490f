/**
 * How far the gateway lets V8's old generation grow past what survived its last full GC.
 * Under steady load (bench/gateway.mjs section f: stateless turns back to back) the live heap
 * after a GC stays at 22-28 MB, but V8 sizes the next limit by how fast the program allocates,
 * up to 4x what survived: old space committed 50 MB after 1,000 turns and 85-97 MB after 3,000,
 * with the ArrayBuffers (fetch bodies) those objects keep alive waiting as long. A fixed factor
 * of 1.3 keeps it at 33-38 MB for a few more full GCs (each ~10 ms at this heap size): a few
 * percent of the CPU a turn costs.
 *
 * The young generation, compaction and malloc can only be set when the process starts: the
 * `oxydra` launcher (the first lines of bin/oxydra.js) starts `oxydra gateway` with a fixed
 * 4 MB semi-space, compaction on every full GC, and glibc's malloc at 2 arenas with fixed mmap
 * and trim thresholds; `gatewayProcessSizing` reports what this process got.
 *
 * Given on the command line by the `oxydra` launcher, or else set through v8.setFlagsFromString
 * when the gateway command starts: V8 reads the factor each time it recomputes the limit, so it
 * applies from the next GC on, and it changes when the heap is collected, never what the
 * program does.
 */
import { setFlagsFromString } from 'node:v8';
import { UsageError } from '@oxydra/types';
// The launcher table (plain data, read by bin/oxydra.js before any bundle) holds every value.
import { HEAP_GROWING_FLAG, HEAP_GROWING_PERCENT_ENV, LAUNCH_TABLE } from '../../bin/launch-table.mjs';

export { HEAP_GROWING_PERCENT_ENV };
export const DEFAULT_HEAP_GROWING_PERCENT: number = LAUNCH_TABLE.gateway.heapGrowingPercent;

/** A heap growing factor among Node's options (dashes or underscores, as V8 takes both). */
const HEAP_GROWING_OPTION = /^--heap[-_]growing[-_]percent\b/;

/** The last of `options` matching `pattern`: with Node's options, the last one wins. */
const lastOption = (options: readonly string[], pattern: RegExp): string | undefined =>
  options.findLast((option) => pattern.test(option));

/**
 * The V8 flag the gateway sets, or undefined when it leaves V8's own heuristics: the variable
 * is 0, or the process was started with its own --heap-growing-percent.
 */
export function heapGrowingFlag(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): string | undefined {
  if (lastOption(execArgv, HEAP_GROWING_OPTION) !== undefined) return undefined;
  const raw = env[HEAP_GROWING_PERCENT_ENV]?.trim();
  let percent = DEFAULT_HEAP_GROWING_PERCENT;
  if (raw !== undefined && raw !== '') {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 300) {
      throw new UsageError(`${HEAP_GROWING_PERCENT_ENV}=${raw}: expected a whole number from 0 to 300`, {
        hint: `0 leaves V8's own heap sizing; unset, the gateway uses ${DEFAULT_HEAP_GROWING_PERCENT}`,
      });
    }
    percent = value;
  }
  return percent === 0 ? undefined : `${HEAP_GROWING_FLAG}=${percent}`;
}

/**
 * Applies heapGrowingFlag to this process; returns the flag in effect, if any. The `oxydra`
 * launcher puts the default on the command line (bin/oxydra.js: every V8 flag set before any
 * code compiles keeps the gateway's code cache valid), and a flag given at start is reported,
 * not set again.
 */
export function tuneGatewayHeap(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): string | undefined {
  const atStart = lastOption(execArgv, HEAP_GROWING_OPTION);
  if (atStart !== undefined) return atStart;
  const flag = heapGrowingFlag(env, execArgv);
  if (flag !== undefined) setFlagsFromString(flag);
  return flag;
}

/** The glibc malloc variables the `oxydra` launcher sets for the gateway (unless already set). */
const MALLOC_SETTINGS = Object.keys(LAUNCH_TABLE.gateway.malloc);

/**
 * What this process's memory was sized with at start, for the gateway's debug log: the young
 * generation's semi-space (the launcher's --max-semi-space-size, the user's, or V8's own),
 * whether every full GC compacts the old generation, and glibc's malloc settings.
 */
export function gatewayProcessSizing(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): { semi_space: string; compaction: string; malloc: string } {
  // NODE_OPTIONS is applied before the command line, so a flag on the command line wins.
  const options = [...(env.NODE_OPTIONS ?? '').split(/\s+/), ...execArgv];
  const size = lastOption(options, /^--max[-_]semi[-_]space[-_]size=/)?.split('=')[1];
  const compacting = lastOption(options, /^--(no-)?compact[-_]on[-_]every[-_]full[-_]gc$/);
  const malloc = MALLOC_SETTINGS.filter((name) => env[name] !== undefined).map(
    (name) => `${name}=${env[name]}`,
  );
  return {
    semi_space: size === undefined || size === '0' ? "V8's default" : `${size} MB`,
    compaction: compacting?.startsWith('--compact') ? 'every full GC' : "V8's heuristics",
    malloc: malloc.length > 0 ? malloc.join(' ') : "glibc's defaults",
  };
}
