/**
 * The runs changing a workspace right now, across processes: a run marks itself in the
 * checkpoint store before its "before" checkpoint (so before its first change) and clears the
 * mark when it ends. A restore or an undo is refused while a run is marked and its process
 * lives: that run's commands would keep writing under the restore, swapping folders for links
 * between its looks and its changes, and the restore would undo part of a run still going on.
 * A mark whose process is gone (killed) is dropped when seen. A mark names where its pid means
 * something (this machine and pid namespace): one made elsewhere (a runner's container sharing
 * the folder, another machine) cannot be judged by its pid from here, so the process keeps its
 * marks' modification times fresh (every HEARTBEAT_MS) and a mark made elsewhere that has not
 * been touched for STALE_MS is taken as a run that is gone (its container killed, its machine
 * down). Before the heartbeat such a mark held every restore until it was deleted by hand; a
 * mark without the heartbeat's word (an older version's) still does.
 */
import { readlinkSync } from 'node:fs';
import { lstat, lutimes, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processStartTime, sameProcessAlive } from '@oxydra/sandbox';
import { UsageError } from '@oxydra/types';
import { readStoreFile, STORE_FILES } from './fs-utils.js';

const FOLDER = STORE_FILES.activeRuns;
const RUN_ID = /^[ru]-[0-9a-f]{8}$/;

/** How often a process touches its runs' marks. */
export const HEARTBEAT_MS = 30_000;
/**
 * A mark made elsewhere untouched this long is a run that is gone: six missed heartbeats, room
 * for a busy machine and for clocks a little apart (another machine's mark carries its own
 * clock's time). A run paused longer than this (a stopped process, a paused container) loses
 * its hold on restores; it writes its mark again when it touches it next.
 */
export const STALE_MS = 6 * HEARTBEAT_MS;
/** The last word of a mark whose process keeps it fresh (an older version's marks lack it). */
const BEAT_WORD = 'beat';

/**
 * Where a pid means something: this machine and this pid namespace (`<host>/<pid:[inode]>`,
 * `-` for the namespace where there is no /proc to read it). Marks and locks record it.
 */
export const PLACE = `${encodeURIComponent(hostname())}/${pidNamespace()}`;

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/[^\w:[\]]/g, '');
  } catch {
    return '-';
  }
}

/** Marks `run` (an id `r-xxxxxxxx`) as changing the workspace, in this process. */
export async function markRunActive(gitDir: string, run: string): Promise<void> {
  if (!RUN_ID.test(run)) return;
  const path = join(gitDir, FOLDER, run);
  await writeMark(path);
  heartbeat.add(path);
}

export async function clearRunActive(gitDir: string, run: string): Promise<void> {
  if (!RUN_ID.test(run)) return;
  const path = join(gitDir, FOLDER, run);
  heartbeat.delete(path);
  await rm(path, { force: true });
}

async function writeMark(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `${PLACE} ${processStamp(process.pid)} ${BEAT_WORD}`);
}

/**
 * This process's marks, touched every HEARTBEAT_MS by one timer that never keeps the process
 * alive. Touched without following a link (`.oxydra/` is hidden from sandboxed commands, but
 * not from another local program); a mark found gone (dropped as stale while this process was
 * paused, or deleted by hand) is written again, since its run is still going.
 */
const heartbeat = new (class Heartbeat {
  private readonly paths = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  add(path: string): void {
    this.paths.add(path);
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  delete(path: string): void {
    this.paths.delete(path);
    if (this.paths.size > 0 || this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const now = new Date();
    for (const path of this.paths) {
      try {
        await lutimes(path, now, now);
      } catch {
        // Gone (or unreadable): written again while the run lasts, else nothing to keep.
        if (this.paths.has(path)) await writeMark(path).catch(() => {});
      }
    }
  }
})();

/** Refuses (a usage error: exit 2) while a run of a live process is marked. */
export async function refuseWhileRunsActive(gitDir: string, doing: string): Promise<void> {
  const folder = join(gitDir, FOLDER);
  const live: string[] = [];
  const elsewhere: string[] = [];
  for (const run of await readdir(folder).catch(() => [])) {
    if (!RUN_ID.test(run)) continue;
    const path = join(folder, run);
    const mark = (readStoreFile(path) ?? '').trim();
    let judged = markLive(mark);
    if (judged === 'elsewhere' && mark.endsWith(` ${BEAT_WORD}`) && (await untouchedFor(path)) > STALE_MS) {
      judged = false;
    }
    if (judged === 'elsewhere') elsewhere.push(run);
    else if (judged) live.push(run);
    else await rm(path, { force: true });
  }
  if (live.length > 0) {
    throw new UsageError(
      `refusing to ${doing}: run ${live.join(', ')} is still changing this workspace (its commands would write under the restore)`,
      { hint: 'wait for that run to end (or stop it), then try again' },
    );
  }
  if (elsewhere.length > 0) {
    throw new UsageError(
      `refusing to ${doing}: run ${elsewhere.join(', ')} is changing this workspace from another machine or container, which cannot be checked from here`,
      {
        hint: `wait for it to end (a mark its run stops refreshing is dropped ${STALE_MS / 60_000} minutes later); if it is gone for good, delete ${elsewhere.map((run) => join(folder, run)).join(' ')}`,
      },
    );
  }
}

/** How long ago the mark at `path` was last touched (0 when that cannot be read: kept). */
async function untouchedFor(path: string): Promise<number> {
  try {
    return Date.now() - (await lstat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Whether a mark's process runs: by its pid here, 'elsewhere' when made in another place. */
function markLive(mark: string): boolean | 'elsewhere' {
  const space = mark.indexOf(' ');
  const first = space === -1 ? mark : mark.slice(0, space);
  // A mark of an earlier version: the pid stamp alone.
  if (!first.includes('/')) return isLive(mark);
  if (first !== PLACE || PLACE.endsWith('/-')) return 'elsewhere';
  return isLive(mark.slice(space + 1));
}

/** `<pid> <start time>` (the pid alone without /proc): a pid given to a new process since is not the run's. */
export function processStamp(pid: number): string {
  const started = processStartTime(pid);
  return started === null ? `${pid}` : `${pid} ${started}`;
}

/** Whether the process of a `processStamp` still runs (the stamp may be followed by more words). */
export function isLive(stamp: string): boolean {
  const [pidText, startedText] = stamp.split(' ');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  const started = startedText === undefined ? null : Number(startedText);
  return sameProcessAlive(pid, started !== null && Number.isFinite(started) ? started : null);
}
