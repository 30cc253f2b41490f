/** Naming rules shared by the listing and the search. */
import { INTERNAL_DIR } from '../paths.js';

/** Folders never listed or searched: git's object store is noise, Oxydra's own folder is off limits. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', INTERNAL_DIR]);

/** Code-point order: the same on every machine and in every locale. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
