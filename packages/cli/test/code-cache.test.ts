/**
 * The CommonJS bundle's code cache (bin/code-cache.cjs), through the real binary: the first run
 * of a command writes V8's compiled code into the user's private cache folder and the next run
 * is served from it; damaged data, or data authenticated under another key than the user's local
 * key, is refused and rewritten, never run; the first command makes that key, and one others can
 * read caches nothing; a folder others may
 * write is never used; a plugin (an ES module file the user names) still loads when the code
 * importing it comes from the cache (Node 20 cannot run import() in such code); month-old
 * caches are pruned; a FIFO, a link or a folder where a cache file should be is only a miss;
 * the gateway, started by the launcher with all its V8 flags, is served from a folder of its own;
 * each bundle file gets the require Node itself would give it. NODE_DEBUG=oxydra_code_cache makes
 * the binary say what it did.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon } from './gateway-daemon.js';
import { CliSandbox } from './helpers.js';

const DEBUG = { NODE_DEBUG: 'oxydra_code_cache' };
const versionFolder = (cacheHome: string) =>
  join(cacheHome, 'oxydra', 'code-cache', `${process.version}-${process.arch}`);
const wrote = (stderr: string) => /OXYDRA_CODE_CACHE \d+: wrote (\d+) of (\d+) files/.exec(stderr);

let sandbox: CliSandbox | undefined;
/** What each test started, stopped after it. */
const started: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of started.splice(0)) await stop();
});

/** The user's local key (as @oxydra/config makes it): the code cache is authenticated with it. */
function giveLocalKey(home: string, key: Buffer = randomBytes(32)): Buffer {
  mkdirSync(join(home, '.config', 'oxydra'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.config', 'oxydra', 'local.key'), key, { mode: 0o600 });
  return key;
}

function sandboxWithCache(options: { key?: boolean } = {}): { cacheHome: string; folder: string } {
  // A HOME of its own (no shared key, no shared cache): these tests look at what the cache holds.
  sandbox = new CliSandbox({}, { warm: false });
  started.push(() => sandbox?.cleanup());
  const cacheHome = join(sandbox.root, 'cache');
  Object.assign(sandbox.env, DEBUG, { XDG_CACHE_HOME: cacheHome });
  if (options.key !== false) giveLocalKey(sandbox.home);
  return { cacheHome, folder: versionFolder(cacheHome) };
}

/**
 * A temporary bundle of two hashed files (an entry exporting `answer`, and the chunk it requires)
 * and `<stub>.cjs` requiring the entry, as bundle/main.cjs does.
 */
function twoFileBundle(prefix: string, stub: string, answer: string): { dir: string; bundle: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  started.push(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  writeFileSync(join(bundle, 'leaf-BBBBBBBB.cjs'), 'exports.leaf = (n) => n * 2;\n');
  writeFileSync(
    join(bundle, 'entry-AAAAAAAA.cjs'),
    `const { leaf } = require('./leaf-BBBBBBBB.cjs');\nexports.answer = ${answer};\n`,
  );
  writeFileSync(join(bundle, `${stub}.cjs`), "module.exports = require('./entry-AAAAAAAA.cjs');\n");
  return { dir, bundle };
}

describe('the code cache of the CommonJS bundle', () => {
  it('is written by the first run of a command and serves the next one', () => {
    const { folder } = sandboxWithCache();
    const first = sandbox!.run('--help');
    expect(first.status, first.stderr).toBe(0);
    const written = wrote(first.stderr);
    expect(written, first.stderr).not.toBeNull();
    expect(Number(written![1])).toBeGreaterThan(0);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const files = readdirSync(folder);
    expect(files.length).toBe(Number(written![1]));
    for (const file of files) {
      expect(file).toMatch(/^[\w-]+-[A-Za-z0-9_-]{8}\.cjs\.v8$/);
      expect(statSync(join(folder, file)).mode & 0o777).toBe(0o600);
    }
    const second = sandbox!.run('--help');
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).not.toContain('wrote');
    expect(second.stderr).not.toContain('rejected');
  });

  it('refuses damaged data, runs the command as usual and writes the cache anew', () => {
    const { folder } = sandboxWithCache();
    const clean = sandbox!.run('--help');
    expect(clean.status).toBe(0);
    const files = readdirSync(folder).sort();
    // Bytes flipped inside the largest file (V8 would run that, and crash), one file garbage of
    // the same length, the rest cut short.
    const largest = files.reduce((a, b) =>
      statSync(join(folder, a)).size >= statSync(join(folder, b)).size ? a : b,
    );
    for (const file of files) {
      const path = join(folder, file);
      const data = readFileSync(path);
      if (file === largest) for (let i = 200; i < data.length; i += 997) data[i]! ^= 0xff;
      writeFileSync(
        path,
        file === largest
          ? data
          : file === files[0]
            ? Buffer.alloc(data.length, 0x5a)
            : data.subarray(0, data.length >> 1),
      );
    }
    const damaged = sandbox!.run('--help');
    expect(damaged.status, damaged.stderr).toBe(0);
    expect(damaged.stdout).toBe(clean.stdout);
    expect(damaged.stderr.match(/cache damaged/g)?.length).toBe(files.length);
    expect(wrote(damaged.stderr)?.[1]).toBe(String(files.length));
    const again = sandbox!.run('--help');
    expect(again.stderr).not.toMatch(/damaged|rejected|wrote/);
  });

  it("never runs a cache another key made: one written under another user's key, or forged", () => {
    const { folder } = sandboxWithCache();
    const clean = sandbox!.run('--help');
    expect(clean.status).toBe(0);
    const files = readdirSync(folder).sort();
    // A cache of exactly the right bytes for V8, as something that can write the folder (a
    // command in a workspace holding the home folder) would plant it, with a MAC under a key it
    // chose: the user's key is replaced, so every file now carries a MAC of another key.
    giveLocalKey(sandbox!.home);
    const other = sandbox!.run('--help');
    expect(other.status, other.stderr).toBe(0);
    expect(other.stdout).toBe(clean.stdout);
    expect(other.stderr.match(/not made with this user's key/g)?.length).toBe(files.length);
    expect(other.stderr).not.toContain('rejected');
    expect(wrote(other.stderr)?.[1]).toBe(String(files.length));
    expect(sandbox!.run('--help').stderr).not.toMatch(/damaged|rejected|wrote/);
  });

  it('makes the local key after the first command when there is none; a key others can read caches nothing', () => {
    const { folder } = sandboxWithCache({ key: false });
    const keyFile = join(sandbox!.home, '.config', 'oxydra', 'local.key');
    const first = sandbox!.run('--help');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('no local key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile).length).toBe(32);
    expect(Number(wrote(first.stderr)?.[1])).toBeGreaterThan(0);
    expect(sandbox!.run('--help').stderr).not.toMatch(/damaged|rejected|wrote/);
    chmodSync(keyFile, 0o644);
    for (const file of readdirSync(folder)) rmSync(join(folder, file));
    const readable = sandbox!.run('--help');
    expect(readable.status).toBe(0);
    expect(readable.stderr).toContain('is not a private 32-byte file of this user');
    expect(readable.stderr).toMatch(/no local key made: .*readable by other users/);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('writes anew what V8 refuses: code compiled under other V8 flags', () => {
    const { folder } = sandboxWithCache();
    expect(sandbox!.run('--help').status).toBe(0);
    const files = readdirSync(folder).length;
    // A flag in V8's flag hash, which keys cached code, on Node 20, 22 and 24 alike. Not a heap
    // size: V8 13 (Node 24) leaves --max-old-space-size and --max-semi-space-size out of that
    // hash and runs the code cached without them. Only stack traces' length changes here.
    sandbox!.env.NODE_OPTIONS = '--stack-trace-limit=50';
    const other = sandbox!.run('--help');
    expect(other.status, other.stderr).toBe(0);
    expect(other.stderr.match(/cache rejected/g)?.length).toBe(files);
    expect(wrote(other.stderr)?.[1]).toBe(String(files));
    expect(sandbox!.run('--help').stderr).not.toMatch(/rejected|wrote/);
  });

  it('reads only regular files: a FIFO, a link or a directory in place of a cache is a miss', () => {
    const { folder } = sandboxWithCache();
    const clean = sandbox!.run('--help');
    const files = readdirSync(folder).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    const [fifo, link, directory] = files as [string, string, string];
    for (const file of [fifo, link, directory]) rmSync(join(folder, file));
    expect(spawnSync('mkfifo', [join(folder, fifo)]).status).toBe(0);
    symlinkSync('/dev/zero', join(folder, link));
    mkdirSync(join(folder, directory));
    const odd = sandbox!.run('--help');
    // A blocking read of the FIFO would hang until the spawn's timeout (status null).
    expect(odd.status, odd.stderr).toBe(0);
    expect(odd.stdout).toBe(clean.stdout);
    expect(odd.stderr.match(/not a regular file/g)?.length).toBe(2);
  });

  it('never uses a cache folder that others may write', () => {
    const { cacheHome } = sandboxWithCache();
    const shared = join(cacheHome, 'oxydra', 'code-cache');
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o777);
    const result = sandbox!.run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: oxydra');
    expect(result.stderr).toContain('not private to this user');
    expect(readdirSync(shared)).toEqual([]);
  });

  it("prunes what was written over a month ago: renamed chunks' caches, other Node versions' folders", () => {
    const { cacheHome, folder } = sandboxWithCache();
    const root = join(cacheHome, 'oxydra', 'code-cache');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    mkdirSync(join(root, 'v18.0.0-x64'));
    writeFileSync(join(folder, 'gone-AbCdEfGh.cjs.v8'), 'old');
    writeFileSync(join(folder, 'recent-AbCdEfGh.cjs.v8'), 'another install');
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    utimesSync(join(folder, 'gone-AbCdEfGh.cjs.v8'), longAgo, longAgo);
    utimesSync(join(root, 'v18.0.0-x64'), longAgo, longAgo);
    expect(sandbox!.run('--help').status).toBe(0);
    expect(readdirSync(root)).toEqual([`${process.version}-${process.arch}`]);
    const left = readdirSync(folder);
    expect(left).toContain('recent-AbCdEfGh.cjs.v8');
    expect(left).not.toContain('gone-AbCdEfGh.cjs.v8');
  });

  it('serves the gateway, started as the `oxydra` command, from its own cache folder', async () => {
    // The launcher puts all of the gateway's V8 flags on the command line (bin/oxydra.js), so the
    // code it caches at exit is valid at the next start; under `node bin/oxydra.js gateway` the
    // gateway sets its heap flag at run time and uses no cache.
    const env = await AgentEnv.start(E2E_APIS[0]!, []);
    started.push(() => env.close());
    const cacheHome = join(env.sandbox.root, 'cache');
    Object.assign(env.sandbox.env, DEBUG, { XDG_CACHE_HOME: cacheHome });
    env.asCommand = true;
    const stopped = async (daemon: GatewayDaemon) => {
      daemon.kill('SIGTERM');
      expect(await daemon.exited, daemon.stderr.slice(-3000)).toBe(0);
      return daemon.stderr;
    };
    expect(wrote(await stopped(await GatewayDaemon.start(env)))).not.toBeNull();
    const folder = `${versionFolder(cacheHome)}-gateway`;
    expect(readdirSync(folder).length).toBeGreaterThan(0);
    // Its files' code in one pack, which serves the next start on its own.
    expect(statSync(join(folder, 'start.v8pack')).mode & 0o777).toBe(0o600);
    for (const file of readdirSync(folder)) if (file.endsWith('.cjs.v8')) rmSync(join(folder, file));
    const second = await stopped(await GatewayDaemon.start(env));
    expect(second).not.toMatch(/rejected|damaged|wrote/);
    env.asCommand = false;
    const direct = await stopped(await GatewayDaemon.start(env));
    expect(direct).not.toContain('wrote');
  });

  it('loads a plugin (an ES module) from code restored from the cache', async () => {
    const plugin = fileURLToPath(new URL('../../kernel/test/fixtures/plugins/early', import.meta.url));
    const env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'Done.' }, times: 'always' }],
      `\n[plugins.load.early]\nfrom = ${JSON.stringify(plugin)}\n`,
    );
    started.push(() => env.close());
    Object.assign(env.sandbox.env, DEBUG, { XDG_CACHE_HOME: join(env.sandbox.root, 'cache') });
    const first = await env.run(['run', 'Say done']);
    expect(first.status, first.stderr).toBe(0);
    expect(wrote(first.stderr)).not.toBeNull();
    // The second run recalls the first's conversation, so it loads the search index's scans (loaded
    // at the first search) and may cache them; the third loads nothing new and writes nothing.
    const second = await env.run(['run', 'Say done']);
    expect(second.status, second.stderr).toBe(0);
    const third = await env.run(['run', 'Say done']);
    expect(third.status, third.stderr).toBe(0);
    expect(third.stderr).not.toContain('wrote');
    expect(third.stdout).toContain('Done.');
    expect(readFileSync(join(env.workspace, 'plugin-trace.log'), 'utf8')).toBe(
      'init early\ninit early\ninit early\n',
    );
  });

  describe('the pack (one file for a command that starts often: the gateway)', () => {
    /** A bundle of two files, and a script that runs it through code-cache.cjs as the launcher does. */
    function packBundle(pack: boolean): {
      run: () => SpawnSyncReturns<string>;
      folder: string;
      home: string;
    } {
      const { dir, bundle } = twoFileBundle('oxydra-code-cache-pack-', 'main', 'leaf(21)');
      const home = join(dir, 'home');
      giveLocalKey(home);
      const folder = join(dir, 'cache');
      mkdirSync(folder, { mode: 0o700 });
      const codeCache = fileURLToPath(new URL('../bin/code-cache.cjs', import.meta.url));
      const script = `const c = require(${JSON.stringify(codeCache)});
const { exports, save } = c.requireWithCodeCache(${JSON.stringify(join(bundle, 'main.cjs'))}, ${JSON.stringify(folder)}, { pack: ${pack} });
save().then(() => process.stdout.write(String(exports.answer)));`;
      const run = () =>
        spawnSync(process.execPath, ['-e', script], {
          encoding: 'utf8',
          env: { ...process.env, HOME: home, ...DEBUG },
        });
      return { run, folder, home };
    }

    it('is written with the files, serves the next run alone and is not written again', () => {
      const { run, folder } = packBundle(true);
      const first = run();
      expect(first.stdout, first.stderr).toBe('42');
      expect(first.stderr).toContain('wrote 2 of 2 files');
      expect(first.stderr).toContain('wrote the pack: 2 files');
      expect(statSync(join(folder, 'start.v8pack')).mode & 0o777).toBe(0o600);
      for (const file of readdirSync(folder)) if (file.endsWith('.cjs.v8')) rmSync(join(folder, file));
      const second = run();
      expect(second.stdout).toBe('42');
      expect(second.stderr).not.toMatch(/wrote|rejected|damaged/);
    });

    it("never runs a damaged pack or one another key made: the files' own caches serve, and it is written anew", () => {
      const { run, folder, home } = packBundle(true);
      expect(run().stdout).toBe('42');
      const path = join(folder, 'start.v8pack');
      const data = readFileSync(path);
      data[data.length - 10]! ^= 0xff;
      writeFileSync(path, data);
      const damaged = run();
      expect(damaged.stdout, damaged.stderr).toBe('42');
      expect(damaged.stderr).toContain("start.v8pack: damaged or not made with this user's key");
      expect(damaged.stderr).not.toMatch(/rejected|cache damaged/);
      expect(damaged.stderr).toContain('wrote the pack: 2 files');
      expect(run().stderr).not.toMatch(/wrote|damaged/);
      // Another key: the pack and every file's cache are refused, and all written under the new one.
      giveLocalKey(home);
      const other = run();
      expect(other.stdout).toBe('42');
      expect(other.stderr).toContain("start.v8pack: damaged or not made with this user's key");
      expect(other.stderr).toContain('wrote 2 of 2 files');
      expect(other.stderr).toContain('wrote the pack: 2 files');
      // A FIFO in its place is a miss, never a wait.
      rmSync(path);
      expect(spawnSync('mkfifo', [path]).status).toBe(0);
      const fifo = run();
      expect(fifo.status, fifo.stderr).toBe(0);
      expect(fifo.stderr).toContain('start.v8pack is not a regular file of a sensible size');
    });

    it('is made only for a command that asks for it', () => {
      const { run, folder } = packBundle(false);
      expect(run().stdout).toBe('42');
      expect(readdirSync(folder).sort()).toEqual(['entry-AAAAAAAA.cjs.v8', 'leaf-BBBBBBBB.cjs.v8']);
    });
  });

  describe("a library entry (oxydra/kernel's generated ES module calls requireLibrary)", () => {
    const codeCache = fileURLToPath(new URL('../bin/code-cache.cjs', import.meta.url));
    /**
     * A bundle with a library entry `lib` (its stub, an entry file and a chunk), and a program
     * that requires it through requireLibrary as bundle/lib.mjs does. `makeKey` makes the local
     * key once the library is loaded, as a program's openKernel does.
     */
    function libraryProgram(): {
      run: (options?: { makeKey?: boolean; before?: string }) => SpawnSyncReturns<string>;
      folder: string;
      home: string;
      bundle: string;
      cacheHome: string;
    } {
      const { dir, bundle } = twoFileBundle('oxydra-code-cache-library-', 'lib', '() => leaf(21)');
      const home = join(dir, 'home');
      const cacheHome = join(dir, 'cache');
      const keyFile = join(home, '.config', 'oxydra', 'local.key');
      const run = ({ makeKey = false, before = '' } = {}) =>
        spawnSync(
          process.execPath,
          [
            '-e',
            `${before}
const lib = require(${JSON.stringify(codeCache)}).requireLibrary('lib', ${JSON.stringify(`${bundle}/`)});
if (${makeKey}) {
  require('node:fs').mkdirSync(${JSON.stringify(dirname(keyFile))}, { recursive: true, mode: 0o700 });
  require('node:fs').writeFileSync(${JSON.stringify(keyFile)}, require('node:crypto').randomBytes(32), { mode: 0o600 });
}
const importModule = globalThis[Symbol.for('oxydra.importModule')];
process.stdout.write(lib.answer() + ' ' + (typeof importModule === 'function' ? importModule.name || 'set' : 'none'));`,
          ],
          { encoding: 'utf8', env: { ...process.env, HOME: home, XDG_CACHE_HOME: cacheHome, ...DEBUG } },
        );
      return { run, folder: versionFolder(cacheHome), home, bundle, cacheHome };
    }

    it('is cached when the program exits once the local key exists (made during the run), and served from it next time', () => {
      const { run, folder } = libraryProgram();
      const first = run({ makeKey: true });
      expect(first.stdout, first.stderr).toBe('42 set');
      expect(first.stderr).toContain('0 of 2 files from the cache');
      expect(first.stderr).toContain('wrote 2 of 2 files');
      expect(readdirSync(folder).sort()).toEqual(['entry-AAAAAAAA.cjs.v8', 'leaf-BBBBBBBB.cjs.v8']);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      for (const file of readdirSync(folder)) expect(statSync(join(folder, file)).mode & 0o777).toBe(0o600);
      const second = run();
      expect(second.stdout).toBe('42 set');
      expect(second.stderr).toContain('2 of 2 files from the cache');
      expect(second.stderr).not.toMatch(/wrote|rejected|damaged/);
    });

    it('never runs a forged cache: refused, the program runs as usual, and the file is written anew', () => {
      const { run, folder } = libraryProgram();
      expect(run({ makeKey: true }).stdout).toBe('42 set');
      const path = join(folder, 'entry-AAAAAAAA.cjs.v8');
      writeFileSync(path, randomBytes(statSync(path).size));
      const forged = run();
      expect(forged.stdout, forged.stderr).toBe('42 set');
      expect(forged.stderr).toContain("entry-AAAAAAAA.cjs: cache damaged or not made with this user's key");
      expect(forged.stderr).toContain('1 of 2 files from the cache');
      expect(forged.stderr).toContain('wrote 1 of 2 files');
      expect(run().stderr).toContain('2 of 2 files from the cache');
    });

    it('caches nothing without the local key, nor in a folder others may write', () => {
      const keyless = libraryProgram();
      const first = keyless.run();
      expect(first.stdout, first.stderr).toBe('42 set');
      expect(first.stderr).toContain('no local key');
      expect(readdirSync(keyless.folder)).toEqual([]);
      const shared = libraryProgram();
      mkdirSync(join(shared.cacheHome, 'oxydra', 'code-cache'), { recursive: true });
      chmodSync(join(shared.cacheHome, 'oxydra', 'code-cache'), 0o777);
      const open = shared.run({ makeKey: true });
      expect(open.stdout, open.stderr).toBe('42 set');
      expect(open.stderr).toContain('not private to this user');
      expect(readdirSync(join(shared.cacheHome, 'oxydra', 'code-cache'))).toEqual([]);
    });

    it("leaves a program's own import() in place, and a process whose command compiles the bundle already adds nothing", () => {
      const { run, bundle, home } = libraryProgram();
      const own = run({
        before: "globalThis[Symbol.for('oxydra.importModule')] = function mine(url) { return import(url); };",
      });
      expect(own.stdout, own.stderr).toBe('42 mine');
      // As under `oxydra run`: the command's requireWithCodeCache compiles the bundle, then a plugin
      // imports oxydra/plugin. The library's files are the command's (one module instance each),
      // saved with the command's files by its save(), and no 'exit' listener writes a second time.
      giveLocalKey(home);
      writeFileSync(join(bundle, 'main.cjs'), "module.exports = require('./entry-AAAAAAAA.cjs');\n");
      const cli = spawnSync(
        process.execPath,
        [
          '-e',
          `const c = require(${JSON.stringify(codeCache)});
const folder = c.codeCacheDir('cli-test');
const { save } = c.requireWithCodeCache(${JSON.stringify(join(bundle, 'main.cjs'))}, folder);
const lib = c.requireLibrary('lib', ${JSON.stringify(`${bundle}/`)});
const again = require(${JSON.stringify(join(bundle, 'entry-AAAAAAAA.cjs'))});
save().then(() => process.stdout.write(String(lib === again && lib.answer())));`,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(bundle, '..', 'cache'), ...DEBUG },
        },
      );
      expect(cli.stdout, cli.stderr).toBe('42');
      expect(cli.stderr).toContain('wrote 2 of 2 files');
      expect(cli.stderr).not.toContain('from the cache');
    });
  });

  it("gives each bundle file Node's own require: resolved from that file's module, which records its children", () => {
    const { requireWithCodeCache } = createRequire(import.meta.url)('../bin/code-cache.cjs');
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-code-cache-require-'));
    started.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'leaf-BBBBBBBB.cjs'),
      'exports.leaf = true; exports.dir = __dirname; exports.file = __filename; exports.paths = module.paths;\n',
    );
    writeFileSync(
      join(dir, 'entry-AAAAAAAA.cjs'),
      `const leaf = require('./leaf-BBBBBBBB.cjs');
const path = require.resolve('./leaf-BBBBBBBB.cjs');
module.exports = { leaf: leaf.leaf, path, cached: require.cache[path] !== undefined,
  children: module.children.map((child) => child.id), paths: require.resolve.paths('x') };\n`,
    );
    writeFileSync(join(dir, 'main.cjs'), "module.exports = require('./entry-AAAAAAAA.cjs');\n");
    const { exports } = requireWithCodeCache(join(dir, 'main.cjs'), undefined);
    expect(exports).toMatchObject({
      leaf: true,
      path: join(dir, 'leaf-BBBBBBBB.cjs'),
      cached: true,
      children: [join(dir, 'leaf-BBBBBBBB.cjs')],
    });
    expect(exports.paths[0]).toBe(join(dir, 'node_modules'));
    const leaf = createRequire(import.meta.url)(join(dir, 'leaf-BBBBBBBB.cjs'));
    expect(leaf).toMatchObject({ dir, file: join(dir, 'leaf-BBBBBBBB.cjs') });
    expect(leaf.paths[0]).toBe(join(dir, 'node_modules'));
  });
});
