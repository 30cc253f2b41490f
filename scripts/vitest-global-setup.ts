/**
 * Before any test: rebuild the CLI bundle from the compiled packages, so tests that spawn the
 * real `oxydra` binary never run a bundle older than the code (tsc -b runs first in npm test),
 * and rebuild the web dashboard (packages/web/dist, which the gateway serves) when any of its
 * sources is newer than the built page, so the browser tests drive the current sources. And
 * make the run's shared code cache for the binary the tests spawn (packages/cli/test/warm-caches.ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWarmCaches } from '../packages/cli/test/warm-caches.js';

const web = fileURLToPath(new URL('../packages/web/', import.meta.url));

/** The newest modification time of the files under `path`. */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function webIsStale(): boolean {
  let built: number;
  try {
    built = statSync(join(web, 'dist', 'index.html')).mtimeMs;
  } catch {
    return true;
  }
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) =>
    newest(join(web, name)),
  );
  return Math.max(...sources) > built;
}

export default async function setup(): Promise<() => void> {
  // vitest runs the global setup of the root and of each project with tests (libsql, postgres)
  // in its one main process: build once, and make one shared cache (removed by the first
  // teardown, which runs once every test has finished).
  const state = globalThis as { oxydraGlobalSetup?: Promise<() => void> };
  state.oxydraGlobalSetup ??= build().then(makeWarmCaches);
  return await state.oxydraGlobalSetup;
}

async function build(): Promise<void> {
  // @ts-expect-error: a plain ESM script without type declarations.
  const { bundleCli } = (await import('./bundle-cli.mjs')) as { bundleCli: () => Promise<void> };
  await bundleCli();
  if (webIsStale()) {
    const vite = join(
      dirname(createRequire(join(web, 'package.json')).resolve('vite/package.json')),
      'bin',
      'vite.js',
    );
    const built = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: web,
      stdio: 'inherit',
    });
    if (built.status !== 0) throw new Error('building the web dashboard (packages/web) failed');
  }
}
