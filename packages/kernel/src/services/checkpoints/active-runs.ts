/**
 * The runs changing a workspace right now, across processes: a run marks itself in the
 * checkpoint store before its "before" checkpoint (so before its first change) and clears the
 * mark when it ends. A restore or an undo is refused while a run is marked and its process
 * lives: that run's commands would keep writing under the restore, swapping folders for links
 * between its looks and its changes, and the restore would undo part of a run still going on.
 * A mark whose process is gone (killed) is dropped when seen. A mark names where its pid means
 * something (this machine and pid namespace): one made elsewhere (a runner's container sharing
 * the folder, another machine) cannot be judged from here, and holds a restore until it is
 * cleared, by its run or by hand.
 */
import { readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processStartTime, sameProcessAlive } from '@oxydra/sandbox';
import { UsageError } from '@oxydra/types';

const FOLDER = 'active-runs';
const RUN_ID = /^[ru]-[0-9a-f]{8}$/;

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
  await mkdir(join(gitDir, FOLDER), { recursive: true });
  await writeFile(join(gitDir, FOLDER, run), `${PLACE} ${processStamp(process.pid)}`);
}

export async function clearRunActive(gitDir: string, run: string): Promise<void> {
  if (!RUN_ID.test(run)) return;
  await rm(join(gitDir, FOLDER, run), { force: true });
}

/** Refuses (a usage error: exit 2) while a run of a live process is marked. */
export async function refuseWhileRunsActive(gitDir: string, doing: string): Promise<void> {
  const folder = join(gitDir, FOLDER);
  const live: string[] = [];
  const elsewhere: string[] = [];
  for (const run of await readdir(folder).catch(() => [])) {
    if (!RUN_ID.test(run)) continue;
    const mark = (await readFile(join(folder, run), 'utf8').catch(() => '')).trim();
    const judged = markLive(mark);
    if (judged === 'elsewhere') elsewhere.push(run);
    else if (judged) live.push(run);
    else await rm(join(folder, run), { force: true });
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
        hint: `wait for it to end; if it is gone for good, delete ${elsewhere.map((run) => join(folder, run)).join(' ')}`,
      },
    );
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
