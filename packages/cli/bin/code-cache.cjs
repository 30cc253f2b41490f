// Runs the CLI's CommonJS bundle (bundle/main.cjs) with V8's compiled code kept between runs; in
// the published package, a program's `oxydra/kernel` (and plugin, testkit) too (requireLibrary).
//
// Why: a one-shot command such as `oxydra run` loads ~1.2 MB of JavaScript, and compiling it is
// the largest single cost of its start-up. Node 20 cannot cache compiled code for ES modules
// (module.enableCompileCache arrived in 22.1), so the commands that start often run from a
// CommonJS copy of the bundle whose files this module compiles itself, as vm.Script objects
// given the code V8 produced for them last time. The cache is written after the command has
// run (Script#createCachedData), so it holds every function the command compiled, not only the
// top level: `oxydra run` starts ~70 ms sooner on Node 20, and ~45 ms sooner on 22 and 24 than
// from the ES module bundle with Node's own compile cache.
//
// Safety: the cache lives in the user's own cache folder (privateCacheDir), never a shared one:
// code read from a folder another user can write would run as ours. V8 runs a cache of the
// right length whatever its bytes, so each file carries an HMAC-SHA256 under the user's local
// key (~/.config/oxydra/local.key, made by @oxydra/config, hidden from commands and the file
// tools like ~/.cache/oxydra itself): a cache forged by anything that could write the folder (a
// command in a workspace holding the home folder, another program) is never run. A missing key
// is made by the bundle once the first command has run; one that is not private caches nothing.
// Only bundle files named with their content hash are cached, and the hash is the key, so a
// cache never meets a changed file; a file failing its MAC, or that V8 refuses (another V8
// version, other V8 flags), is compiled as usual and its cache written anew. Anything failing
// here only means no cache.
//
// This file reads the cache, on every start; code-cache-write.cjs writes it, required only
// after a run the cache did not serve whole, so a warm start loads one file for it.
//
// NODE_DEBUG=oxydra_code_cache logs what was read, rejected and written.
//
// CommonJS, loaded with require() by bin/oxydra.js: on Node 22 an import() of an ES module here
// cost every command ~5 ms of loader set-up, more than the rest of this file.
'use strict';
const {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} = require('node:fs');
const Module = require('node:module');
const { basename, dirname, isAbsolute, join, sep } = require('node:path');
const { Script } = require('node:vm');

/** NODE_DEBUG=oxydra_code_cache, as util.debuglog reads it (without loading node:util). */
const DEBUG = /(^|,)\s*oxydra_code_cache\s*(,|$)/i.test(process.env.NODE_DEBUG ?? '');
function debug(format, ...values) {
  if (!DEBUG) return;
  let index = 0;
  const message = format.replace(/%[sd]/g, () => String(values[index++]));
  process.stderr.write(`OXYDRA_CODE_CACHE ${process.pid}: ${message}\n`);
}

/** Far more than V8's data for the largest bundle file (~0.5 MB): anything bigger is not ours. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A bundle file rolldown named `<name>-<content hash>.cjs`: the only files cached, keyed by that
 * name. scripts/bundle-cli.mjs checks every CommonJS chunk it writes against this.
 */
const HASHED_CHUNK = /-[A-Za-z0-9_-]{8}\.cjs$/;

/**
 * `<$XDG_CACHE_HOME or ~/.cache>/oxydra/<name>`, made 0700, or undefined when it cannot be
 * made or is not private: owned by someone else, or writable by others.
 */
function privateCacheDir(name) {
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const root =
      xdg && isAbsolute(xdg) ? xdg : join(process.env.HOME || require('node:os').homedir(), '.cache');
    const dir = join(root, 'oxydra', name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = statSync(dir);
    if (info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
      debug('not using %s: not private to this user', dir);
      return undefined;
    }
    return dir;
  } catch (error) {
    debug('no cache folder: %s', error.message);
    return undefined;
  }
}

const LOCAL_KEY_BYTES = 32;
const MAC_BYTES = 32;
let localKey;

/**
 * The user's local key, read as @oxydra/config's local-key.ts reads it (that module cannot be
 * loaded before the bundle): a regular file of this user's, private, of the right size. It is
 * made by the bundle (saveCodeCache's ensureLocalKey), never here.
 */
function cacheKey() {
  if (localKey !== undefined) return localKey || undefined;
  localKey = false;
  const path =
    process.env.OXYDRA_LOCAL_KEY_FILE ||
    join(process.env.HOME || require('node:os').homedir(), '.config', 'oxydra', 'local.key');
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    const key = Buffer.alloc(LOCAL_KEY_BYTES);
    if (
      info.isFile() &&
      info.uid === process.getuid?.() &&
      (info.mode & 0o077) === 0 &&
      info.size === LOCAL_KEY_BYTES &&
      readSync(fd, key, 0, LOCAL_KEY_BYTES, 0) === LOCAL_KEY_BYTES
    ) {
      localKey = key;
    } else {
      debug('no cache: %s is not a private %d-byte file of this user', path, LOCAL_KEY_BYTES);
    }
  } catch (error) {
    debug('no cache: no local key (%s)', error.code ?? error.message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return localKey || undefined;
}

/** Makes cacheKey read the key again when it had none: it may have been made since. */
function forgetMissingKey() {
  if (localKey === false) localKey = undefined;
}

/** HMAC-SHA256 of the file's name and V8's data under the local key. */
function macOf(key, name, data) {
  const { createHmac } = require('node:crypto');
  return createHmac('sha256', key).update(`oxydra-code-cache-v1:${name}:`).update(data).digest();
}

/**
 * A cache file is the MAC (32 bytes) and V8's data. V8 checks a cache's version, flags and
 * source length but, in release builds, not its content: a damaged or forged file would be run
 * (a damaged one crashes the process at every start). A MAC that does not match is a cache miss.
 * (V8's own --verify-snapshot-checksum would catch damage only, and any V8 flag set at run time
 * costs more: Node's built-in modules then compile without the code cache Node ships for them.)
 */
function readCache(path, name) {
  const key = cacheKey();
  if (key === undefined) return undefined;
  const stored = readCacheFile(path, MAX_CACHE_BYTES, `${name}: cache`);
  if (stored === undefined) return undefined;
  const data = stored.subarray(MAC_BYTES);
  if (stored.length > MAC_BYTES) {
    const { timingSafeEqual } = require('node:crypto');
    if (timingSafeEqual(stored.subarray(0, MAC_BYTES), macOf(key, name, data))) return data;
  }
  debug("%s: cache damaged or not made with this user's key", name);
  return undefined;
}

/**
 * The bytes of `path`, or undefined: only a regular file of at most `maxBytes`, never through a
 * link, and never waiting on a FIFO or a device. `what` names it in the debug log.
 */
function readCacheFile(path, maxBytes, what) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > maxBytes) {
      debug('%s is not a regular file of a sensible size', what);
      return undefined;
    }
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The pack: every file's V8 data of a command's last run in one file of the cache folder, for
 * a command that starts often and always loads much the same files (the gateway: ~125 of
 * them). Read with one open and authenticated with one HMAC instead of one of each per file:
 * ~125 HMAC set-ups and ~500 system calls were ~5% of the gateway's start-up CPU. Layout: the
 * MAC (32 bytes), then the body the MAC covers: the number of files (uint32 LE), for each its
 * name's length (uint16 LE), its name and its data's length (uint32 LE), then the data, in
 * that order. Anything that does not parse or fails its MAC is a miss for the whole pack (the
 * per-file caches below it still serve).
 */
const PACK_FILE = 'start.v8pack';

/** Far more than the gateway's ~1.8 MB. */
const MAX_PACK_BYTES = 256 * 1024 * 1024;

/** HMAC-SHA256 of a pack's body under the local key. */
function packMacOf(key, body) {
  const { createHmac } = require('node:crypto');
  return createHmac('sha256', key).update('oxydra-code-cache-pack-v1:').update(body).digest();
}

/** The pack in `cacheDir` as a Map of file name to V8 data, or undefined (none, or not ours). */
function readPack(cacheDir) {
  const key = cacheKey();
  if (key === undefined) return undefined;
  const stored = readCacheFile(join(cacheDir, PACK_FILE), MAX_PACK_BYTES, PACK_FILE);
  if (stored === undefined) return undefined;
  const body = stored.subarray(MAC_BYTES);
  const { timingSafeEqual } = require('node:crypto');
  const files =
    stored.length > MAC_BYTES + 4 && timingSafeEqual(stored.subarray(0, MAC_BYTES), packMacOf(key, body))
      ? parsePack(body)
      : undefined;
  if (files === undefined) debug("%s: damaged or not made with this user's key", PACK_FILE);
  return files;
}

/** A pack's body (its MAC checked) as a Map of name to data; undefined when it does not parse. */
function parsePack(body) {
  const count = body.readUInt32LE(0);
  const index = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > body.length) return undefined;
    const nameLength = body.readUInt16LE(at);
    if (at + 2 + nameLength + 4 > body.length) return undefined;
    const name = body.latin1Slice(at + 2, at + 2 + nameLength);
    const length = body.readUInt32LE(at + 2 + nameLength);
    if (!HASHED_CHUNK.test(name) || name.includes('/')) return undefined;
    index.push([name, length]);
    at += 2 + nameLength + 4;
  }
  const files = new Map();
  for (const [name, length] of index) {
    if (at + length > body.length) return undefined;
    files.set(name, body.subarray(at, at + length));
    at += length;
  }
  return at === body.length ? files : undefined;
}

/** How one bundle file requires another: `./<name>-<hash>.cjs`, the file beside it. */
const CHUNK_REQUEST = /^\.\/[^/\\]+-[A-Za-z0-9_-]{8}\.cjs$/;

/**
 * A preload (`--import`, `--require`, a loader, on the command line or in NODE_OPTIONS) may watch
 * Node's module loading through Module.prototype.load (an APM agent, a test's module recorder):
 * then every bundle file goes through it, as before the fast path below, which skips it.
 */
const LOAD_OBSERVED = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
  /^(--import|--require|-r|--loader|--experimental-loader)(=|$)/.test(arg),
);

/**
 * Another file of the bundle, required by `parent` (a bundle file) as `./<file>`: loaded as
 * Node's Module._load loads a file it has resolved (the same Module and cache entry), without
 * resolving it. The file is the one beside `parent`, whose path Node already made real; Node's
 * search for it (a stat, a realpath and its caches for each file) cost the gateway's start-up
 * ~130 times. Its path is `parent`'s folder and its name (the request has no other part), and
 * it is compiled as Module#load would (its source, then `_compile`, which requireWithCodeCache
 * replaced for the bundle's files), with `parent`'s module lookup paths, the same folder's: the
 * gateway's start makes ~580 such requires of ~125 files, and path joins and Node's lookup paths
 * for each were ~2% of its start-up.
 */
function requireChunk(parent, request) {
  const filename = parent.path + sep + request.slice(2);
  const cached = Module._cache[filename];
  if (cached !== undefined) return cached.exports;
  const mod = new Module(filename, parent);
  Module._cache[filename] = mod;
  try {
    if (LOAD_OBSERVED) mod.load(filename);
    else {
      mod.filename = filename;
      mod.paths = parent.paths;
      mod._compile(readFileSync(filename, 'utf8'), filename);
      mod.loaded = true;
    }
  } catch (error) {
    delete Module._cache[filename];
    // A file that is not there fails as Node's own require says it (MODULE_NOT_FOUND).
    if (error.code === 'ENOENT' && error.path === filename) return parent.require(request);
    throw error;
  }
  return mod.exports;
}

/**
 * The `require` a bundle file's code is given, as Node's own loader makes it (lib/internal/
 * modules/helpers.js, makeRequireFunction): resolved from the module itself, which
 * Module.createRequire would make a second Module object for at every file; the bundle's own
 * files without a search (requireChunk).
 */
function requireOf(mod) {
  const require = (id) => (CHUNK_REQUEST.test(id) ? requireChunk(mod, id) : mod.require(id));
  const resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** The bundle folders whose files this process compiles through requireWithCodeCache's hook. */
const hooked = new Set();

/**
 * Requires `entry` (bundle/main.cjs) with every hashed file of its folder compiled through the
 * code cache in `cacheDir` (no cache when undefined). Returns its exports and `save()`, to call
 * once the command is done: it writes the caches this run lacked. With `pack`, the files' data
 * is read from the folder's pack first (PACK_FILE), and the pack rewritten when this run needed
 * a file it did not hold.
 */
function requireWithCodeCache(entry, cacheDir, { pack = false } = {}) {
  const { save } = compileWithCodeCache(dirname(entry) + sep, cacheDir, { pack });
  return { exports: require(entry), save };
}

/**
 * Compiles every hashed file of `bundleDir` (ending in the separator) that is loaded from now on
 * through the code cache in `cacheDir`. Returns `save(ensureLocalKey)`, which writes the caches
 * the files lacked (making the local key first when missing), and `saveNow()`, which does the
 * same at once, without making a key (for an 'exit' listener, where nothing can be awaited).
 */
function compileWithCodeCache(bundleDir, cacheDir, { pack = false } = {}) {
  hooked.add(bundleDir);
  // Each file's cached data is kept only for a pack (rewritten from it); otherwise its length
  // alone: a long-lived program (the library's) would hold ~1.5 MB it never reads again.
  /** @type {{ name: string, script: Script, had: Buffer | undefined, hadLength: number, accepted: boolean, packed: boolean }[]} */
  const compiled = [];
  const packed = pack && cacheDir !== undefined ? readPack(cacheDir) : undefined;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    if (!filename.startsWith(bundleDir) || !HASHED_CHUNK.test(filename)) {
      return compile.call(this, content, filename);
    }
    const name = basename(filename);
    const fromPack = packed?.get(name);
    const had =
      fromPack ?? (cacheDir === undefined ? undefined : readCache(join(cacheDir, `${name}.v8`), name));
    const script = new Script(Module.wrap(content), { filename, cachedData: had });
    const accepted = had !== undefined && !script.cachedDataRejected;
    if (had !== undefined && !accepted) debug('%s: cache rejected', name);
    compiled.push({
      name,
      script,
      had: pack ? had : undefined,
      hadLength: had?.length ?? 0,
      accepted,
      packed: fromPack !== undefined && accepted,
    });
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, requireOf(this), this, filename, this.path);
  };
  const packing = pack ? { packed, bundleDir } : undefined;
  return {
    compiled,
    save: async (ensureLocalKey) => {
      if (!needsSaving(compiled, cacheDir, packing)) return;
      const { saveCodeCache } = require('./code-cache-write.cjs');
      await saveCodeCache(compiled, cacheDir, ensureLocalKey, packing);
    },
    saveNow: () => {
      // The key may have been made since the start (a program's openKernel makes it): read again.
      forgetMissingKey();
      if (!needsSaving(compiled, cacheDir, packing)) return;
      const { writeCodeCache } = require('./code-cache-write.cjs');
      writeCodeCache(compiled, cacheDir, packing);
    },
  };
}

/** How a library entry (bundle/<name>.cjs) is named: the generated ES module passes a literal. */
const LIBRARY_ENTRY = /^[a-z][a-z-]*$/;

/**
 * `oxydra/<name>` for a program using the published package: bundle/<name>.mjs, generated by
 * scripts/pack-oxydra.mjs, requires bundle/<name>.cjs through this, so the library's files are
 * compiled with V8's code kept between starts as the CLI's are (the ES module bundle they used to
 * come from has no cache on Node 20, and on 22 and 24 only when the program enables Node's own).
 *
 * A library has no moment when "the command is done", so the cache is written when the process
 * exits (an 'exit' listener, synchronous): by then it holds every function the program compiled,
 * whatever it did and whether or not it closed its kernel, and a program that runs for days
 * writes once. Only when the local key exists by then (openKernel makes it, as it claims the
 * workspace's state): a program that opened no kernel keeps no state and caches nothing. A
 * process ended by a signal it does not handle runs no 'exit' listener and writes nothing: its
 * next start compiles as it would without a cache. The folder is the one of commands with no V8
 * flags (codeCacheDir()): no flag is ever set in the program's process, which is not ours.
 *
 * In a process whose `oxydra` command already compiles this bundle through a cache (a plugin
 * importing `oxydra/plugin` under the CLI), the entry is required as it is: the command's hook
 * and its save cover it, with the same module instances as the command's own.
 */
function requireLibrary(name, bundleDir = join(__dirname, '..', 'bundle') + sep) {
  if (!LIBRARY_ENTRY.test(name)) throw new Error(`internal: no library entry ${name}`);
  // The one import() of a file outside the bundle (a plugin) goes through here, as under
  // bin/oxydra.js: code V8 restores from a cache cannot run import() on Node 20 (types'
  // importModule). Left alone when the program or the CLI set one.
  globalThis[IMPORT_MODULE] ??= (url) => import(url);
  if (!hooked.has(bundleDir)) {
    const { compiled, saveNow } = compileWithCodeCache(bundleDir, codeCacheDir());
    process.once('exit', () => {
      try {
        debug(
          '%d of %d files from the cache',
          compiled.filter((file) => file.accepted).length,
          compiled.length,
        );
        saveNow();
      } catch (error) {
        debug('not written: %s', error.message);
      }
    });
  }
  return require(`${bundleDir}${name}.cjs`);
}

/** The symbol types' importModule looks for (packages/types/src/import-module.ts). */
const IMPORT_MODULE = Symbol.for('oxydra.importModule');

/**
 * Whether this run's files need writing: one had no usable cache (or no packed one, with `pack`).
 * Only then is code-cache-write.cjs loaded.
 */
function needsSaving(compiled, cacheDir, pack) {
  if (cacheDir === undefined) return false;
  return (
    !compiled.every((file) => file.accepted) || (pack !== undefined && !compiled.every((file) => file.packed))
  );
}

/**
 * The code cache's folder for this Node and this set of V8 flags: one per version, since V8
 * refuses another version's code, and per `flags`, a name for the V8 flags bin/oxydra.js set
 * for the command, since V8 refuses code compiled under other flags (commands with and without
 * them would otherwise keep rewriting the files they share).
 */
function codeCacheDir(flags) {
  const root = privateCacheDir('code-cache');
  if (root === undefined) return undefined;
  const dir = join(root, `${process.version}-${process.arch}${flags ? `-${flags}` : ''}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (error.code !== 'EEXIST') return undefined;
  }
  return dir;
}

module.exports = {
  codeCacheDir,
  HASHED_CHUNK,
  privateCacheDir,
  requireLibrary,
  requireWithCodeCache,
  // For code-cache-write.cjs: the key, the MACs and the log it writes with.
  cacheKey,
  debug,
  forgetMissingKey,
  macOf,
  PACK_FILE,
  packMacOf,
};
