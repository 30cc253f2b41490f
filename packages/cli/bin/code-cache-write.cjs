// Writes the launcher's code cache, which code-cache.cjs reads: after a command one of whose
// files the cache did not serve (the first run, an upgrade's new files, a cache V8 refused or
// that failed its MAC), each file's V8 code under the user's local key, the pack, and the
// pruning of caches last written over a month ago. The formats (the MAC, the pack's layout)
// are described where they are read, in code-cache.cjs.
//
// Why a file of its own: code-cache.cjs is loaded at the start of every command, and a start
// the cache served whole (the usual one) writes nothing; so this part is required, by
// code-cache.cjs, only when something is to be written, and a warm start loads and compiles
// one file for its code cache, as it did when both were one file.
'use strict';
const { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { cacheKey, debug, forgetMissingKey, macOf, PACK_FILE, packMacOf } = require('./code-cache.cjs');

/** A file's cache: its MAC (macOf), then V8's data. */
function cacheFile(key, name, data) {
  return Buffer.concat([macOf(key, name, data), data]);
}

/** The pack file holding `entries` ([name, data] pairs), MAC first. */
function packFile(key, entries) {
  const head = [Buffer.alloc(4)];
  head[0].writeUInt32LE(entries.length, 0);
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'latin1');
    const lengths = Buffer.alloc(6);
    lengths.writeUInt16LE(nameBytes.length, 0);
    head.push(lengths.subarray(0, 2), nameBytes, Buffer.alloc(4));
    head.at(-1).writeUInt32LE(data.length, 0);
  }
  const body = Buffer.concat([...head, ...entries.map(([, data]) => data)]);
  return Buffer.concat([packMacOf(key, body), body]);
}

/** Writes `data` to `path` through a temporary file renamed into place (readers see old or new). */
function writeAtomically(path, data) {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes the code of this run's files (code-cache.cjs calls it when any had no usable cache): this command
 * compiled something no cache held, so files it shares with others (whose cache a shorter
 * command may have written) are rewritten too when they now hold more. A run where every file
 * was served from the cache writes nothing (and never loads this file). With `pack` (the pack this run read, if any), the
 * pack is written when any file this run loaded did not come from it: this run's files, and
 * the old pack's others whose bundle file still exists (a later request's files stay in it;
 * an upgrade's renamed files leave it).
 */
async function saveCodeCache(compiled, cacheDir, ensureLocalKey, pack) {
  if (cacheKey() === undefined && ensureLocalKey) {
    // The first command on this machine: the bundle makes the key (one home for that rule,
    // @oxydra/config's local-key.ts), then it is read here like any other time.
    try {
      await ensureLocalKey();
    } catch (error) {
      debug('no local key made: %s', error.message);
    }
    forgetMissingKey();
  }
  writeCodeCache(compiled, cacheDir, pack);
}

/** saveCodeCache's writing, synchronous: nothing without the local key. */
function writeCodeCache(compiled, cacheDir, pack) {
  const key = cacheKey();
  if (key === undefined) return;
  const perFile = !compiled.every((file) => file.accepted);
  const packToo = pack !== undefined && !compiled.every((file) => file.packed);
  let written = 0;
  const entries = new Map();
  for (const { name, script, had, hadLength, accepted } of compiled) {
    try {
      const data = script.createCachedData();
      if (accepted && data.length <= hadLength) {
        if (had !== undefined) entries.set(name, had);
        continue;
      }
      entries.set(name, data);
      if (!perFile) continue;
      writeAtomically(join(cacheDir, `${name}.v8`), cacheFile(key, name, data));
      written++;
    } catch (error) {
      debug('%s: not written: %s', name, error.message);
    }
  }
  if (perFile) debug('wrote %d of %d files', written, compiled.length);
  if (packToo) {
    for (const [name, data] of pack.packed ?? []) {
      if (!entries.has(name) && existsSync(pack.bundleDir + name)) entries.set(name, data);
    }
    try {
      writeAtomically(join(cacheDir, PACK_FILE), packFile(key, [...entries]));
      debug('wrote the pack: %d files', entries.size);
    } catch (error) {
      debug('%s: not written: %s', PACK_FILE, error.message);
    }
  }
  pruneStale(cacheDir);
  pruneStale(dirname(cacheDir));
}

/** Caches are not touched when read, so one written this long ago is rewritten after pruning. */
const STALE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Removes what was last written over a month ago in `dir`: the caches of chunks an upgrade
 * renamed, and the folders of Node versions no longer used. By age, not by what this install's
 * bundle holds, since several installs (a clone, a global package) may share the folder.
 */
function pruneStale(dir) {
  try {
    const before = Date.now() - STALE_MS;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).mtimeMs < before) rmSync(path, { recursive: true, force: true });
    }
  } catch (error) {
    debug('not pruned: %s', error.message);
  }
}

module.exports = { saveCodeCache, writeCodeCache };
