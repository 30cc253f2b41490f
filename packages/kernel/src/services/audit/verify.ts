/**
 * Checking a chain: every entry's hash against its content, every link against the entry
 * before it, the sequence for gaps, timestamps for the future, and the heads recorded outside
 * the chain (session records, run outcomes, the head file) for a removed or rewritten tail.
 * The first problem is named with the entry and the kind of tampering it shows.
 */
import { type EntryHasher, GENESIS } from './entry.js';

export type TamperKind =
  | 'changed'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'forged_link'
  | 'future_timestamp'
  | 'missing_tail'
  | 'rewritten';

export interface AuditProblem {
  seq: number;
  kind: TamperKind;
  message: string;
}

/** A head recorded outside the chain: the chain must still reach it, with the same hash. */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** Where it was recorded ("session 3f2a…", "the head file"). */
  source: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  first?: number;
  last?: number;
  /** Problems in chain order (at most MAX_PROBLEMS); the first is the first broken entry. */
  problems: AuditProblem[];
}

type Row = [number, string, string, string, string, string, string];

/** A clock a little ahead of ours is not tampering. */
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_PROBLEMS = 20;
/** How far a moved entry is looked for (reordering is local; a further move still shows as "changed"). */
const SHIFT_WINDOW = 8;

export async function verifyRows(
  rows: AsyncIterable<Row>,
  context: {
    hasher: EntryHasher;
    pruned: { through: number; hash: string } | undefined;
    anchors: readonly AuditAnchor[];
    now: Date;
  },
): Promise<VerifyReport> {
  const { hasher } = context;
  const problems: AuditProblem[] = [];
  const report = (problem: AuditProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const anchored = new Map<number, string>();
  for (const anchor of context.anchors) anchored.set(anchor.seq, '');
  const latest = context.now.getTime() + FUTURE_SKEW_MS;
  let entries = 0;
  let first: number | undefined;
  let previous: { seq: number; hash: string } | undefined;
  for await (const [seq, ts, actor, action, resource, prevHash, hash] of rows) {
    entries += 1;
    if (first === undefined) {
      first = seq;
      previous = startOf(seq, context.pruned, report);
    }
    if (anchored.has(seq)) anchored.set(seq, hash);
    if (previous && seq !== previous.seq + 1) {
      report({
        seq,
        kind: 'deleted',
        message: `entr${seq - previous.seq > 2 ? `ies #${previous.seq + 1}–#${seq - 1} are` : `y #${previous.seq + 1} is`} missing: it was deleted`,
      });
    }
    const recomputed = hasher.hash(seq, ts, actor, action, resource, prevHash);
    if (recomputed !== hash) {
      report(contentProblem(hasher, [seq, ts, actor, action, resource, prevHash, hash]));
    } else if (previous && prevHash !== previous.hash && seq === previous.seq + 1) {
      report({
        seq,
        kind: 'forged_link',
        message: `entry #${seq} links to ${short(prevHash)}, but entry #${previous.seq} hashes to ${short(previous.hash)}: the link was forged or the entry before it replaced`,
      });
    }
    const at = Date.parse(ts);
    if (!Number.isFinite(at) || at > latest) {
      report({
        seq,
        kind: 'future_timestamp',
        message: `entry #${seq} is dated ${ts}, after now (${context.now.toISOString()})`,
      });
    }
    previous = { seq, hash };
  }
  const last = previous?.seq;
  for (const anchor of [...context.anchors].sort((a, b) => a.seq - b.seq)) {
    if (first !== undefined && anchor.seq < first) continue; // pruned since
    if (last === undefined || anchor.seq > last) {
      report({
        seq: anchor.seq,
        kind: 'missing_tail',
        message: `${anchor.source} recorded entry #${anchor.seq}, but the chain ends at ${last === undefined ? 'nothing (it is empty)' : `#${last}`}: its tail was removed`,
      });
    } else if (anchored.get(anchor.seq) !== anchor.hash) {
      report({
        seq: anchor.seq,
        kind: 'rewritten',
        message: `entry #${anchor.seq} is not the one ${anchor.source} recorded (hash ${short(anchor.hash)}): the chain was rewritten up to it`,
      });
    }
  }
  problems.sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    entries,
    ...(first !== undefined ? { first } : {}),
    ...(last !== undefined ? { last } : {}),
    problems,
  };
}

/** What the first entry must link to: genesis, or the pruning marker's hash. */
function startOf(
  seq: number,
  pruned: { through: number; hash: string } | undefined,
  report: (problem: AuditProblem) => void,
): { seq: number; hash: string } {
  if (seq === 1) return { seq: 0, hash: GENESIS };
  if (pruned && pruned.through === seq - 1) return { seq: seq - 1, hash: pruned.hash };
  report({
    seq,
    kind: 'deleted',
    message: pruned
      ? `entries #${pruned.through + 1}–#${seq - 1} are missing: pruning removed only up to #${pruned.through}`
      : `entries #1–#${seq - 1} are missing and there is no pruning marker: they were deleted`,
  });
  return { seq: seq - 1, hash: '' };
}

/** An entry whose hash does not match: moved from another position, or changed in place. */
function contentProblem(hasher: EntryHasher, row: Row): AuditProblem {
  const [seq, ts, actor, action, resource, prevHash, hash] = row;
  for (let shift = 1; shift <= SHIFT_WINDOW; shift++) {
    for (const written of [seq - shift, seq + shift]) {
      if (written < 1 || hasher.hash(written, ts, actor, action, resource, prevHash) !== hash) continue;
      const kind: TamperKind = shift === 1 && written === seq - 1 ? 'inserted' : 'reordered';
      return {
        seq,
        kind,
        message:
          kind === 'inserted'
            ? `entry #${seq} was written as #${written}: an entry was inserted before it`
            : `entry #${seq} was written as #${written}: entries were reordered${written === seq + 1 ? ', or one before it deleted and the rest renumbered' : ''}`,
      };
    }
  }
  return {
    seq,
    kind: 'changed',
    message: `entry #${seq} was changed after it was written: its content no longer matches its hash`,
  };
}

function short(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}
