#!/usr/bin/env node
/**
 * Keeps node-llama-cpp's GPU prebuilt packages (CUDA, CUDA-ext, Vulkan: about 610 MB unpacked)
 * out of package-lock.json. node-llama-cpp is a dev dependency only for the local-model tests,
 * which run its CPU build on a tiny GGUF; its GPU builds are optional dependencies that npm
 * would otherwise download and unpack on every `npm ci` (CI runs four: the tests' and the
 * package step's three runtimes), for a GPU no test machine has.
 *
 * npm keeps a lockfile without them as it is: `npm ci` and `npm install` install what the lock
 * names, and an optional dependency missing from it is simply not installed. Only a fresh
 * resolution (a new node-llama-cpp version, a deleted lockfile) adds them back: then run
 * `node scripts/lockfile-gpu-prebuilts.mjs` to take them out again. CI runs it with `--check`,
 * which fails naming that command. A user who installs node-llama-cpp for their own model gets
 * its GPU builds as usual: this is the repository's lockfile only.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const LOCKFILE = new URL('../package-lock.json', import.meta.url);
const GPU_PREBUILT = /^node_modules\/@node-llama-cpp\/[^/]*-(cuda|cuda-ext|vulkan)$/;

const text = readFileSync(LOCKFILE, 'utf8');
const lock = JSON.parse(text);
const found = Object.keys(lock.packages ?? {}).filter((path) => GPU_PREBUILT.test(path));

if (process.argv.includes('--check')) {
  if (found.length > 0) {
    console.error(
      `error: package-lock.json names node-llama-cpp GPU prebuilts (${found.join(', ')}): run \`node scripts/lockfile-gpu-prebuilts.mjs\` and commit the lockfile`,
    );
    process.exit(1);
  }
  process.exit(0);
}

for (const path of found) delete lock.packages[path];
if (found.length > 0) writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  found.length > 0
    ? `removed ${found.length} GPU prebuilt entries from package-lock.json`
    : 'nothing to remove',
);
