// Moving a finished build into the bundle folder (scripts/bundle-cli.mjs): file by file, the
// entries last, and a file whose bytes are already there left as it is, its modification time
// too. The container tier's guest image is tagged by a stamp of the installation's files (path,
// size, modification time: packages/runner/src/image/guest-files.ts), and every test run bundles
// again (scripts/vitest-global-setup.ts): rewriting identical files gave the same oxydra a new
// tag each time, so the next `oxydra runner image build` (CI's, the container test's) built its
// layer again.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether the two files hold the same bytes (false when either is missing). */
async function sameBytes(a, b) {
  try {
    const [left, right] = await Promise.all([readFile(a), readFile(b)]);
    return left.equals(right);
  } catch {
    return false;
  }
}

/**
 * Moves `names` from `from` into `to`, those in `last` after the others (an entry never points
 * at a chunk not yet in place); one already in `to` with the same bytes is not touched.
 */
export async function moveBuilt(from, to, names, last) {
  const ordered = [...names.filter((n) => !last.includes(n)), ...last.filter((n) => names.includes(n))];
  for (const name of ordered) {
    if (await sameBytes(join(from, name), join(to, name))) continue;
    await rename(join(from, name), join(to, name));
  }
}
