/**
 * One warm code cache for every `oxydra` the end-to-end tests spawn. Each test gives the binary
 * a fresh HOME (CliSandbox), and the binary keeps V8's compiled code in that HOME
 * (~/.cache/oxydra/code-cache, and compile-cache for the ES module bundle on Node 22+), so
 * every spawn compiled the whole bundle anew: ~0.75 s of CPU per `oxydra run` instead of ~0.53 s
 * warm, for hundreds of spawns in a run.
 *
 * The global setup (scripts/vitest-global-setup.ts) makes one folder for the run, holding a local
 * key and the two cache folders; each fresh HOME then gets a copy of that key (the code cache is
 * authenticated with the user's local key, so a cache is only served to a HOME holding the key
 * that wrote it) and links to the two folders. Nothing else of the HOME is shared: models, the
 * sandbox probe's answer, the micro-VM image folder and the rest of ~/.cache/oxydra stay fresh,
 * and no variable the binary reads changes. Concurrent writers are safe: code-cache.cjs writes
 * each file to a temporary name and renames it into place.
 *
 * A test whose meaning needs its own key (two machines that must not share one) or an empty
 * cache (the tests of the cache itself) asks for a fresh HOME: `new CliSandbox(env, { warm: false })`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The run's shared folder, set by the global setup for the test workers it starts. */
const WARM_CACHES_ENV = 'OXYDRA_TEST_WARM_CACHES';
/** The folders of ~/.cache/oxydra that hold compiled code (code-cache.cjs, bin/oxydra.js). */
const CODE_FOLDERS = ['code-cache', 'compile-cache'] as const;

/**
 * Makes the run's shared folder (private to this user, as the binary requires) and tells the
 * workers about it. Returns the teardown that removes it.
 */
export function makeWarmCaches(): () => void {
  const shared = mkdtempSync(join(tmpdir(), 'oxydra-test-caches-'));
  writeFileSync(join(shared, 'local.key'), randomBytes(32), { mode: 0o600 });
  for (const name of CODE_FOLDERS) mkdirSync(join(shared, name), { mode: 0o700 });
  process.env[WARM_CACHES_ENV] = shared;
  return () => rmSync(shared, { recursive: true, force: true });
}

/**
 * Gives the fresh `home` the run's local key and compiled-code folders. Without the global
 * setup (a file run some other way) the home stays fresh and the binary only starts colder.
 */
export function shareWarmCaches(home: string): void {
  const shared = process.env[WARM_CACHES_ENV];
  if (!shared) return;
  const config = join(home, '.config', 'oxydra');
  mkdirSync(config, { recursive: true, mode: 0o700 });
  // A copy, not a link: a test that rewrites or chmods its key must not touch the others'.
  const key = join(config, 'local.key');
  copyFileSync(join(shared, 'local.key'), key);
  chmodSync(key, 0o600);
  const cache = join(home, '.cache', 'oxydra');
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  for (const name of CODE_FOLDERS) symlinkSync(join(shared, name), join(cache, name));
}
