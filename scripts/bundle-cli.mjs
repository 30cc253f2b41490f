#!/usr/bin/env node
// Bundles the compiled `oxydra` CLI (packages/cli/dist/main.js and everything it imports) into
// packages/cli/bundle/ with rolldown. Node 20 loads a few large files far faster than hundreds of
// small ones: `oxydra run` starts ~40% sooner and peaks ~10 MB lower. Commands and provider
// SDKs stay in lazily imported chunks. Runs after `tsc -b` (npm run build) and before the tests.
// @oxydra/types declares `"sideEffects": false`: its index re-exports every schema, and without
// that the chunk a command needs would also build every schema it never uses (`oxydra run` built
// the gateway protocol's ~190 Zod schemas). Its modules must stay free of top-level side effects.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const cli = new URL('../packages/cli/', import.meta.url);
const input = fileURLToPath(new URL('dist/main.js', cli));
const outDir = fileURLToPath(new URL('bundle/', cli));

/** Chunks a previous build left that a still-running `oxydra` may import lazily for this long. */
const STALE_CHUNK_MS = 15 * 60 * 1000;

/** Modules no bundle includes: Ink imports the React devtools only when DEV=true; never needed. */
const NEVER_BUNDLED = ['react-devtools-core'];

/**
 * Bundles `input` (one entry, or named entries) into `dir` as ESM: entries as `<name>.mjs`
 * (`main.mjs` for a single one), shared and lazily imported code as hashed chunks beside them.
 * `external` adds packages loaded from node_modules at run time instead (the published package
 * keeps its native and type-bearing dependencies as real dependencies).
 */
export async function writeBundle({ input, dir, external = [] }) {
  const bundle = await rolldown({
    input,
    platform: 'node',
    logLevel: 'warn',
    external: (id) =>
      [...NEVER_BUNDLED, ...external].some((name) => id === name || id.startsWith(`${name}/`)),
  });
  // Flat output: every chunk sits in bundle/, one level below the package root, as dist/'s
  // top-level modules do, so `../package.json` means the same from both.
  await bundle.write({
    dir,
    format: 'esm',
    entryFileNames: typeof input === 'string' ? 'main.mjs' : '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
    // Comments are for readers of the sources (dist/, src/); parsing them costs every start-up.
    comments: false,
    // Non-ASCII characters written as escapes: V8 keeps each module's source in memory, and one
    // character past Latin-1 (a "…" in a message) stores the whole file at two bytes a character.
    // ASCII-only, the gateway's resident sources take 2.4 MB instead of 4.6 MB.
    charset: 'ascii',
  });
  await bundle.close();
}

export async function bundleCli() {
  // Built beside, then moved in file by file: chunk names carry a content hash, and main.mjs is
  // replaced by one rename, so an `oxydra` started meanwhile (a test, a second test run) runs the
  // old bundle or the new one, never a half-written one, and still finds its lazy chunks.
  const building = `${outDir.replace(/\/$/, '')}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await writeBundle({ input, dir: building });
  await mkdir(outDir, { recursive: true });
  const fresh = await readdir(building);
  // Chunks first, the entry last: main.mjs never points at a chunk not yet in place.
  for (const name of fresh.filter((n) => n !== 'main.mjs'))
    await rename(join(building, name), join(outDir, name));
  await rename(join(building, 'main.mjs'), join(outDir, 'main.mjs'));
  await rm(building, { recursive: true, force: true });
  const now = Date.now();
  for (const name of await readdir(outDir)) {
    if (fresh.includes(name)) continue;
    const path = join(outDir, name);
    if (now - (await stat(path)).mtimeMs > STALE_CHUNK_MS) await rm(path, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleCli();
  process.stdout.write('bundled packages/cli/bundle/main.mjs\n');
}
