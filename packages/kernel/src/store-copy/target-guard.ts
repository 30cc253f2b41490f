/**
 * Which targets a copy may write to. A copy writes records as they are in the source (ids, seqs,
 * the audit chain), so it needs a target holding nothing else: either empty (no records, no
 * marks), or holding exactly what an earlier run of this same copy wrote (every mark names the
 * same source, and every table holds as many records as its mark counts: nothing was added
 * since). Anything else is refused, unless forced: then the target's records are deleted first.
 */
import { type StoreTransfer, UsageError } from '@oxydra/types';

export class TargetNotEmptyError extends UsageError {
  constructor(target: string, problem: string) {
    super(`the target ${target} ${problem}`, {
      hint: 'copy into an empty target (a new schema or workspace), or pass --force to delete what it holds first',
    });
  }
}

/** Refuses `target` (TargetNotEmptyError) unless it is empty or holds only this copy's records. */
export async function checkTarget(target: StoreTransfer, sourceOf: (table: string) => string): Promise<void> {
  const marks = new Map((await target.marks()).map((mark) => [mark.table, mark]));
  for (const mark of marks.values()) {
    if (mark.source !== sourceOf(mark.table)) {
      throw new TargetNotEmptyError(
        target.source,
        `holds a copy of ${mark.table} from ${mark.source}, not from ${sourceOf(mark.table)}`,
      );
    }
  }
  for (const table of target.tables) {
    const held = await target.count(table);
    const copied = marks.get(table)?.copied ?? 0;
    if (held !== copied) {
      throw new TargetNotEmptyError(
        target.source,
        `holds ${held} records in ${table}${copied > 0 ? `, but this copy wrote ${copied}` : ' that no copy wrote'}`,
      );
    }
  }
}
