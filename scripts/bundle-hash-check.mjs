// Checks that every hashed file of a rolldown build holds exactly the bytes rolldown named it
// for. bin/code-cache.cjs keys V8's code cache by a chunk's file name, and V8 runs a cache of
// the right length whatever its bytes: a file changed after rolldown named it (by a
// generateBundle hook, or rewritten once written) keeps its name and would be given the code
// compiled for its old content. Rolldown hashes a chunk's code as its renderChunk hooks leave
// it, so changes belong there (bundle-lazy-chunks.mjs); generateBundle's first hook sees each
// chunk as named, and the check compares that with the file on disk.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A plugin recording each chunk's code as rolldown named it (before any other generateBundle
 * hook), and `check(output, dir)`, to call once `output` (bundle.write's) is written to `dir`:
 * it throws naming the files whose bytes differ from that code.
 */
export function hashedAsWritten() {
  /** File name -> code as named. */
  const named = new Map();
  const plugin = {
    name: 'oxydra:hashed-as-written',
    generateBundle: {
      order: 'pre',
      handler(_options, bundle) {
        for (const file of Object.values(bundle))
          if (file.type === 'chunk') named.set(file.fileName, file.code);
      },
    },
  };
  async function check(output, dir) {
    const changed = [];
    for (const chunk of output.filter((file) => file.type === 'chunk')) {
      const code = named.get(chunk.fileName);
      if (code === undefined || (await readFile(join(dir, chunk.fileName), 'utf8')) !== code)
        changed.push(chunk.fileName);
    }
    if (changed.length > 0)
      throw new Error(
        `bundle files changed after rolldown named them by their content (the code cache's key): ${changed.join(', ')}`,
      );
  }
  return { plugin, check };
}
