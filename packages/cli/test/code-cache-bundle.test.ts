/**
 * bin/code-cache.cjs run by node on small bundles of its own: the pack (one file for a command
 * that starts often: the gateway), a library entry (requireLibrary, as oxydra/kernel's generated
 * ES module calls it), and the require each bundle file gets (the one Node itself would give it).
 * code-cache-binary.test.ts runs the cache through the real binary.
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
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEBUG, giveLocalKey, started, useStarted, versionFolder } from './code-cache-helpers.js';

useStarted();

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
save().then(() => {
  process.stdout.write(String(exports.answer));
  if (Object.keys(require.cache).some((f) => f.endsWith('code-cache-write.cjs'))) process.stderr.write('writer loaded\\n');
});`;
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
      // A start the cache served whole loads only the reading half (code-cache.cjs), never the writer.
      expect(first.stderr).toContain('writer loaded');
      expect(second.stderr).not.toContain('writer loaded');
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
