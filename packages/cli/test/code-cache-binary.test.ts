/**
 * The CommonJS bundle's code cache (bin/code-cache.cjs), through the real binary: the first run
 * of a command writes V8's compiled code into the user's private cache folder and the next run
 * is served from it; damaged data, or data authenticated under another key than the user's local
 * key, is refused and rewritten, never run; the first command makes that key, and one others can
 * read caches nothing; a folder others may write is never used; a plugin (an ES module file the
 * user names) still loads when the code importing it comes from the cache (Node 20 cannot run
 * import() in such code); month-old caches are pruned; a FIFO, a link or a folder where a cache
 * file should be is only a miss; the gateway, started by the launcher with all its V8 flags, is
 * served from a folder of its own. NODE_DEBUG=oxydra_code_cache makes the binary say what it did.
 * code-cache-bundle.test.ts runs the file itself on bundles of its own.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { kernelFixtures } from '@oxydra/kernel/testing/fixture-paths';
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { DEBUG, giveLocalKey, started, useStarted, versionFolder, wrote } from './code-cache-helpers.js';
import { GatewayDaemon } from './gateway-daemon.js';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox | undefined;
useStarted();

function sandboxWithCache(options: { key?: boolean } = {}): { cacheHome: string; folder: string } {
  // A HOME of its own (no shared key, no shared cache): these tests look at what the cache holds.
  sandbox = new CliSandbox({}, { warm: false });
  started.push(() => sandbox?.cleanup());
  const cacheHome = join(sandbox.root, 'cache');
  Object.assign(sandbox.env, DEBUG, { XDG_CACHE_HOME: cacheHome });
  if (options.key !== false) giveLocalKey(sandbox.home);
  return { cacheHome, folder: versionFolder(cacheHome) };
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
    const plugin = kernelFixtures('plugins', 'early');
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
});
