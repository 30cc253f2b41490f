#!/usr/bin/env node
// Bundles the compiled `oxydra` CLI (packages/cli/dist/main.js and everything it imports) into
// packages/cli/bundle/ with rolldown. Node 20 loads a few large files far faster than hundreds of
// small ones: `oxydra run` starts ~40% sooner and peaks ~10 MB lower. Commands and provider
// SDKs stay in lazily imported chunks. Runs after `tsc -b` (npm run build) and before the tests.
// The CLI is bundled twice from the same build: as ES modules (bundle/main.mjs, which the library
// entry points share and the terminal UI runs from) and as CommonJS (bundle/main.cjs), which
// bin/oxydra.js runs every other command from, through bin/code-cache.cjs: V8 keeps the code it
// compiled for those files between runs, which Node 20 cannot do for ES modules (see there).
// @oxydra/types declares `"sideEffects": false`: its index re-exports every schema, and without
// that the chunk a command needs would also build every schema it never uses (`oxydra run` built
// the gateway protocol's ~190 Zod schemas). Its modules must stay free of top-level side effects.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { hashedAsWritten } from './bundle-hash-check.mjs';
import { LAZY_CHUNK_REQUIRES } from './bundle-lazy-chunks.mjs';
import { moveBuilt } from './bundle-move.mjs';
import { ROUTER_HANDLERS_ON_DEMAND, ROUTER_PREFIX_ON_DEMAND } from './bundle-router-on-demand.mjs';

const cli = new URL('../packages/cli/', import.meta.url);
const input = fileURLToPath(new URL('dist/main.js', cli));
const outDir = fileURLToPath(new URL('bundle/', cli));

/**
 * The gateway's structured-output checker thread (packages/gateway/src/http/schema-workers.ts): an
 * entry of each bundle, since a worker thread starts from a file. It sits beside every chunk as
 * `schema-worker.mjs` / `schema-worker.cjs`, where the pool looks for it (with its chunk's extension).
 */
const SCHEMA_WORKER = fileURLToPath(
  new URL('../packages/gateway/dist/http/schema-worker.js', import.meta.url),
);

/** Chunks a previous build left that a still-running `oxydra` may import lazily for this long. */
const STALE_CHUNK_MS = 15 * 60 * 1000;

/**
 * Modules no bundle includes: Ink imports the React devtools only when DEV=true; discord.js's
 * gateway imports the optional native `zlib-sync` only for compression, which Oxydra leaves off
 * (its import fails, caught, and it runs without). playwright-core (the browser tools, 14 MB,
 * reading its own files at run time) is an optional package the user installs beside oxydra:
 * the tools import it at their first call and say how to install it when it is missing.
 */
const NEVER_BUNDLED = ['react-devtools-core', 'zlib-sync', 'playwright-core'];

/** discord.js's Client#_eval (for its sharding manager, never called here) uses a direct eval. */
const QUIET_LOGS = (level, log, handler) => {
  if (log.code === 'EVAL' && /[\\/]discord\.js[\\/]/.test(log.id ?? '')) return;
  handler(level, log);
};

/**
 * What the CommonJS bundle leaves out: the terminal UI. Ink's layout engine (yoga-layout) uses
 * top-level await, which CommonJS cannot express, and bin/oxydra.js starts every command that
 * opens the UI (`tui`, `runner`) from the ES module bundle, so the CommonJS one never needs it.
 * Should that routing ever miss one, the import fails with this message instead of half-working.
 */
const TUI_IN_ESM_ONLY = {
  name: 'oxydra:tui-in-esm-only',
  resolveId: (id) => (id === '@oxydra/tui' ? '\0oxydra-tui-in-esm-only' : null),
  load: (id) =>
    id === '\0oxydra-tui-in-esm-only'
      ? `throw new Error('internal: the terminal UI runs from the ES module bundle; bin/oxydra.js must start this command with bundle/main.mjs');`
      : null,
};

/** The chunk names bin/code-cache.cjs caches (by that name): every CommonJS file must match. */
const { HASHED_CHUNK } = createRequire(import.meta.url)('../packages/cli/bin/code-cache.cjs');

/**
 * Bundles `input` (one entry, or named entries) into `dir` as ESM: entries as `<name>.mjs`
 * (`main.mjs` for a single one; SCHEMA_WORKER's always added), shared and lazily imported code as hashed chunks beside them.
 * `external` adds packages loaded from node_modules at run time instead (the published package
 * keeps its native and type-bearing dependencies as real dependencies).
 */
export async function writeBundle({ input, dir, external = [] }) {
  const entries = {
    ...(typeof input === 'string' ? { main: input } : input),
    'schema-worker': SCHEMA_WORKER,
  };
  const bundle = await rolldown(bundleOptions(entries, external));
  // Flat output: every chunk sits in bundle/, one level below the package root, as dist/'s
  // top-level modules do, so `../package.json` means the same from both.
  await bundle.write({
    dir,
    format: 'esm',
    entryFileNames: '[name].mjs',
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

/**
 * Modules the gateway's dependencies require when they load but use only on paths the gateway
 * never or rarely takes before it serves. A built-in module is compiled on first require, and
 * with the launcher's V8 flags (bin/oxydra.js) V8 refuses Node's cached code for them, so each
 * one loaded at start costs every start: node:http2 alone cost the gateway 10-50 ms; node:https
 * (with node:tls) ~1.8 ms, node:zlib ~1 ms (measured one by one under those flags, after
 * node:http). Each is required here at its first use instead, and kept:
 * - Fastify (lib/server.js): node:http2 and node:https make HTTP/2 and TLS servers, which the
 *   gateway never asks for (its node:dns stays: Node's net loads it to listen anyway);
 * - ws: node:https and node:tls for outgoing wss:// connections (the gateway only accepts
 *   them), node:zlib for permessage-deflate, compressed frames a client negotiated;
 * - @fastify/websocket: duplexify (with its copy of readable-stream) for app.injectWS, a
 *   testing helper;
 * - Fastify (lib/plugin-utils.js): semver, for the check of a plugin's declared Fastify version,
 *   which no plugin the gateway registers at start declares any more (PLUGIN_VERSIONS_AT_BUILD);
 *   loading semver built its ~40 regular expressions and its whole code cache at every start.
 * `line` is the exact require, `uses` every use of the binding. Should a source change (the line
 * or a use missing, or a use not listed here), the build fails rather than bundle it unchanged.
 */
const ON_DEMAND = [
  {
    file: 'fastify/lib/server.js',
    binding: 'http2',
    line: "const http2 = require('node:http2')\n",
    uses: ['http2.createSecureServer(', 'http2.createServer('],
  },
  {
    file: 'fastify/lib/server.js',
    binding: 'https',
    line: "const https = require('node:https')\n",
    uses: ['https.createServer('],
  },
  {
    file: 'ws/lib/websocket.js',
    binding: 'https',
    line: "const https = require('https');\n",
    uses: ['https.request'],
  },
  {
    file: 'ws/lib/websocket.js',
    binding: 'tls',
    line: "const tls = require('tls');\n",
    uses: ['tls.connect('],
  },
  {
    file: 'ws/lib/permessage-deflate.js',
    binding: 'zlib',
    line: "const zlib = require('zlib');\n",
    uses: [
      'zlib.Z_DEFAULT_WINDOWBITS',
      'zlib.createInflateRaw(',
      'zlib.createDeflateRaw(',
      'zlib.Z_SYNC_FLUSH',
    ],
  },
  {
    file: '@fastify/websocket/index.js',
    binding: 'Duplexify',
    line: "const Duplexify = require('duplexify')\n",
    uses: ['new Duplexify('],
  },
  {
    file: 'fastify/lib/plugin-utils.js',
    binding: 'semver',
    line: "const semver = require('semver')\n",
    uses: ['semver.gt(', 'semver.coerce(', 'semver.satisfies('],
  },
];

/**
 * The Fastify versions bundled plugins declare (fastify-plugin's `fastify` meta), checked here
 * against the bundled Fastify instead of at every start: both are fixed when the bundle is made,
 * so the start's check (semver's range matching) could only ever give the answer this one gives.
 * The declaration is taken out of the bundled plugin; a Fastify it does not accept fails the
 * build. `line` is the exact declaration, `major` its N in the one form checked (`N.x`: Fastify N,
 * no prerelease, as semver's satisfies reads it for a release).
 */
const PLUGIN_VERSIONS = [{ file: '@fastify/websocket/index.js', line: "  fastify: '5.x',\n", major: 5 }];

const PLUGIN_VERSIONS_AT_BUILD = {
  name: 'oxydra:plugin-versions-at-build',
  transform(code, id) {
    const entry = PLUGIN_VERSIONS.find(({ file }) =>
      id.replaceAll('\\', '/').endsWith(`/node_modules/${file}`),
    );
    if (!entry) return null;
    if (!code.includes(entry.line))
      throw new Error(
        `${id}: no longer declares ${entry.line.trim()}; update PLUGIN_VERSIONS (bundle-cli.mjs)`,
      );
    const { version } = createRequire(new URL('../packages/gateway/', import.meta.url))(
      'fastify/package.json',
    );
    if (!new RegExp(`^${entry.major}\\.\\d+\\.\\d+$`).test(version))
      throw new Error(`${id} declares ${entry.line.trim()}, and the bundled Fastify is ${version}`);
    return { code: code.replace(entry.line, ''), map: null };
  },
};

/** `binding` in `use` as a call of its loader: `https.request` -> `https().request`. */
function onDemandUse(use, binding) {
  return use.startsWith(`new ${binding}`)
    ? use.replace(`new ${binding}`, `new (${binding}())`)
    : use.replace(binding, `${binding}()`);
}

/** Lines of `code` that use `binding` bare (comment lines aside): none may remain. */
function bareUses(code, binding) {
  const bare = new RegExp(`(?<![\\w$.'"\`/])${binding}(?![\\w$(:])`);
  return code
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line) && !line.startsWith(`const ${binding} =`))
    .filter((line) => bare.test(line));
}

const REQUIRE_ON_DEMAND = {
  name: 'oxydra:require-on-demand',
  transform(code, id) {
    const entries = ON_DEMAND.filter(({ file }) =>
      id.replaceAll('\\', '/').endsWith(`/node_modules/${file}`),
    );
    if (entries.length === 0) return null;
    let lazy = code;
    for (const { binding, line, uses } of entries) {
      if (!lazy.includes(line) || !uses.every((use) => lazy.includes(use)))
        throw new Error(`${id}: no longer requires ${binding} as bundle-cli.mjs expects; update ON_DEMAND`);
      const required = /^const \w+ = (require\([^)]*\))/.exec(line)?.[1];
      lazy = lazy.replace(
        line,
        `let ${binding}$loaded\nconst ${binding} = () => (${binding}$loaded ??= ${required})\n`,
      );
      for (const use of uses) lazy = lazy.replaceAll(use, onDemandUse(use, binding));
      if (bareUses(lazy, binding).length > 0)
        throw new Error(`${id}: uses ${binding} in a way ON_DEMAND does not list (bundle-cli.mjs)`);
    }
    return { code: lazy, map: null };
  },
};

/**
 * libsql picks its native build with @neon-rs/load's currentTarget(), which on Linux x64/arm64
 * tells glibc from musl with process.report.getReport(): a whole diagnostic report (every shared
 * object, libuv handle, the environment...), 1-7 ms of every start that opens a database. When
 * detect-libc (which reads /usr/bin/ldd) says glibc, libsql takes the -gnu build whatever that
 * report said (its "Workaround for Bun" just below), so the report is asked for only otherwise.
 * Same build chosen in every case; should the source change, the build fails.
 */
const LIBSQL_TARGET_WITHOUT_REPORT = {
  name: 'oxydra:libsql-target-without-report',
  transform(code, id) {
    if (!id.replaceAll('\\', '/').endsWith('/node_modules/libsql/index.js')) return null;
    const eager = '  let target = currentTarget();\n';
    if (!code.includes(eager) || !code.includes('if (familySync() == GLIBC) {\n    switch (target) {'))
      throw new Error(
        `${id}: no longer picks its target as bundle-cli.mjs expects; update LIBSQL_TARGET_WITHOUT_REPORT`,
      );
    const glibc =
      "process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64') && familySync() == GLIBC";
    return {
      code: code.replace(
        eager,
        `  let target = ${glibc} ? \`linux-\${process.arch}-gnu\` : currentTarget();\n`,
      ),
      map: null,
    };
  },
};

function bundleOptions(input, external, plugins = []) {
  return {
    input,
    platform: 'node',
    logLevel: 'warn',
    onLog: QUIET_LOGS,
    external: (id) =>
      [...NEVER_BUNDLED, ...external].some((name) => id === name || id.startsWith(`${name}/`)),
    plugins: [
      REQUIRE_ON_DEMAND,
      PLUGIN_VERSIONS_AT_BUILD,
      LIBSQL_TARGET_WITHOUT_REPORT,
      ROUTER_PREFIX_ON_DEMAND,
      ROUTER_HANDLERS_ON_DEMAND,
      ...plugins,
    ],
  };
}

/**
 * Bundles `input` (the CLI entry, or named entries: the package adds the library's) into `dir` as
 * CommonJS for bin/code-cache.cjs: every file named with its content hash (the code cache's key),
 * entries included, and `<name>.cjs` for each entry (`main.cjs` for a single one; and
 * `schema-worker.cjs`, SCHEMA_WORKER) a one-line stub that requires it. LAZY_CHUNKS are
 * required at their first use (bundle-lazy-chunks.mjs), and every file is checked to hold the
 * bytes its name was hashed from (bundle-hash-check.mjs). Dynamic imports become require() calls: a script V8 restores from
 * its code cache on Node 20 cannot run import() (types' importModule covers the one import of
 * a user's file, a plugin). Returns the names each entry exports.
 */
export async function writeCommonJsBundle({ input, dir, external = [] }) {
  const entries = {
    ...(typeof input === 'string' ? { main: input } : input),
    'schema-worker': SCHEMA_WORKER,
  };
  const hashed = hashedAsWritten();
  const bundle = await rolldown(
    bundleOptions(entries, external, [TUI_IN_ESM_ONLY, LAZY_CHUNK_REQUIRES, hashed.plugin]),
  );
  const { output } = await bundle.write({
    dir,
    format: 'cjs',
    entryFileNames: '[name]-[hash].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    dynamicImportInCjs: false,
    comments: false,
    charset: 'ascii',
  });
  await bundle.close();
  await hashed.check(output, dir);
  const chunks = output.filter((file) => file.type === 'chunk');
  const unhashed = chunks.filter((chunk) => !HASHED_CHUNK.test(chunk.fileName)).map((c) => c.fileName);
  if (unhashed.length > 0)
    throw new Error(`CommonJS chunks that would never be cached: ${unhashed.join(', ')}`);
  const exported = {};
  for (const name of Object.keys(entries)) {
    const entry = chunks.find((chunk) => chunk.isEntry && chunk.name === name);
    if (!entry) throw new Error(`the CommonJS bundle has no ${name} entry`);
    await writeFile(join(dir, `${name}.cjs`), `module.exports = require('./${entry.fileName}');\n`);
    exported[name] = entry.exports;
  }
  return exported;
}

/**
 * Build folders a killed build left (`bundle.building-<pid>` whose process is gone): each holds
 * a half-written bundle that lint and the formatter would read as source.
 */
async function removeAbandonedBuilds() {
  const parent = join(outDir, '..');
  const prefix = `${outDir.replace(/\/$/, '').split('/').pop()}.building-`;
  for (const name of await readdir(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && processLives(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
  }
}

function processLives(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export async function bundleCli() {
  // Built beside, then moved in file by file: chunk names carry a content hash, and main.mjs is
  // replaced by one rename, so an `oxydra` started meanwhile (a test, a second test run) runs the
  // old bundle or the new one, never a half-written one, and still finds its lazy chunks.
  const building = `${outDir.replace(/\/$/, '')}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await removeAbandonedBuilds();
  await writeBundle({ input, dir: building });
  await writeCommonJsBundle({ input, dir: building });
  await mkdir(outDir, { recursive: true });
  const fresh = await readdir(building);
  // Chunks first, the entries last; unchanged files keep their times (bundle-move.mjs says why).
  await moveBuilt(building, outDir, fresh, ['main.mjs', 'main.cjs']);
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
  process.stdout.write('bundled packages/cli/bundle/main.mjs and main.cjs\n');
}
