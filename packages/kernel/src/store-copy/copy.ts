/**
 * Copying every record of one set of stores into another (`oxydra store copy`: a workspace's
 * libSQL files into PostgreSQL and back), through each backend's StoreTransfer. Tables go in
 * TRANSFER_TABLES' order, each a batch at a time read in its stable order; each batch is
 * written in one transaction with the table's mark (how far the copy got), so a copy that dies
 * leaves whole batches and a mark saying which, and the same copy run again resumes after them:
 * nothing is copied twice, nothing skipped. Which targets may be written is target-guard.ts'.
 */
import { type StoreTransfer, TRANSFER_TABLES, type TransferMark, UsageError } from '@oxydra/types';
import { checkTarget, TargetNotEmptyError } from './target-guard.js';

export interface CopyProgress {
  table: string;
  /** Records of the table in the target now. */
  copied: number;
  /** Records of the table in the source. */
  total: number;
}

export interface CopyOptions {
  /** The databases read (together they hold every table the targets hold). */
  from: readonly StoreTransfer[];
  /** The databases written. */
  to: readonly StoreTransfer[];
  /**
   * Delete what a target holds first instead of refusing other data, or to redo a finished copy
   * (a copy from the same source still unfinished is resumed, not deleted).
   */
  force?: boolean;
  /** Records per batch (one transaction each); default 500. */
  batchSize?: number;
  /** Told after each committed batch (and once per table already copied). */
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopiedTable {
  table: string;
  /** Records written by this run (the rest were copied by an earlier one). */
  written: number;
  copied: number;
}

interface Route {
  table: string;
  from: StoreTransfer;
  to: StoreTransfer;
}

/** Each table the targets hold, with the one source and target holding it. */
export function routesOf(from: readonly StoreTransfer[], to: readonly StoreTransfer[]): Route[] {
  const holder = (side: readonly StoreTransfer[], table: string, what: string) => {
    const found = side.filter((t) => t.tables.includes(table));
    if (found.length !== 1) {
      throw new UsageError(`${found.length === 0 ? 'no' : 'more than one'} ${what} holds ${table}`);
    }
    return found[0]!;
  };
  return TRANSFER_TABLES.filter((t) => to.some((target) => target.tables.includes(t.name))).map((t) => ({
    table: t.name,
    from: holder(from, t.name, 'source'),
    to: holder(to, t.name, 'target'),
  }));
}

export async function copyStores(options: CopyOptions): Promise<CopiedTable[]> {
  const routes = routesOf(options.from, options.to);
  const sourceOf = (table: string) => routes.find((r) => r.table === table)?.from.source ?? '(none)';
  for (const target of options.to) {
    if (await mustClear(target, sourceOf, options.force === true)) await target.clear();
  }
  const copied: CopiedTable[] = [];
  for (const route of routes) copied.push(await copyTable(route, options));
  return copied;
}

/**
 * Whether `target` is emptied first. Unforced: never (a target holding other data is refused).
 * Forced: when it would be refused, or holds a finished copy (forcing redoes it); never when it
 * holds an unfinished copy from the same source, so a forced copy killed midway and run again
 * with the same arguments resumes too.
 */
async function mustClear(
  target: StoreTransfer,
  sourceOf: (table: string) => string,
  force: boolean,
): Promise<boolean> {
  try {
    await checkTarget(target, sourceOf);
  } catch (error) {
    if (force && error instanceof TargetNotEmptyError) return true;
    throw error;
  }
  if (!force) return false;
  const marks = await target.marks();
  return marks.length === target.tables.length && marks.every((mark) => mark.done);
}

async function copyTable({ table, from, to }: Route, options: CopyOptions): Promise<CopiedTable> {
  const batchSize = options.batchSize ?? 500;
  const marks = await to.marks();
  let mark: TransferMark = marks.find((m) => m.table === table) ?? {
    table,
    source: from.source,
    last: undefined,
    copied: 0,
    done: false,
  };
  const total = await from.count(table);
  if (mark.done) options.onProgress?.({ table, copied: mark.copied, total });
  let written = 0;
  while (!mark.done) {
    const page = await from.read(table, mark.last, batchSize);
    mark = {
      ...mark,
      last: page.last ?? mark.last,
      copied: mark.copied + page.records.length,
      done: page.records.length < batchSize,
    };
    await to.write(table, page.records, mark);
    written += page.records.length;
    options.onProgress?.({ table, copied: mark.copied, total });
  }
  return { table, written, copied: mark.copied };
}
