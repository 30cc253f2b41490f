/** The folder a file is written into, opened and confirmed, created when missing. */
import { relative, sep } from 'node:path';
import { AnchoredDir } from './anchored.js';

export interface FolderTarget {
  /** Workspace root's real path: missing folders are created from it down. */
  realRoot: string;
  confirm(real: string): void;
}

/**
 * The folder at `realDir` (a real path inside the workspace). When it is missing and `create`, each folder
 * from the workspace root down is made and opened through its parent's descriptor (no-follow),
 * so `mkdir -p` cannot be led outside by a link swapped into the path meanwhile.
 */
export async function openFolderOf(
  target: FolderTarget,
  realDir: string,
  create: boolean,
): Promise<AnchoredDir> {
  try {
    return await AnchoredDir.open(realDir, (real) => target.confirm(real));
  } catch (error) {
    if (!create || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let folder = await AnchoredDir.open(target.realRoot, (real) => target.confirm(real));
  try {
    for (const name of relative(target.realRoot, realDir)
      .split(sep)
      .filter((part) => part !== '')) {
      const next = await folder.child(name, true);
      await folder.close();
      folder = next;
    }
  } catch (error) {
    await folder.close();
    throw error;
  }
  return folder;
}
