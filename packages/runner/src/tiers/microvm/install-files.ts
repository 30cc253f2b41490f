/**
 * The files of this `oxydra` installation a guest needs: its package.json, launcher and bundle,
 * the model catalog, and the few packages the bundle loads from node_modules at run time
 * (libsql's native addon by name, hash-wasm by path; scripts/pack-oxydra.mjs keeps the same ones
 * as real dependencies), each with what it depends on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '@oxydra/types';

const RUNTIME_PACKAGES = ['libsql', '@libsql/client', 'hash-wasm'];
const INSTALL_ENTRIES = ['package.json', 'bin', 'bundle'];

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's. */
function findPackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `from`: a host path; `to`: where it goes relative to the guest's installation folder. */
export function oxydraInstallFiles(selfCommand: readonly string[]): { from: string; to: string }[] {
  const script = selfCommand[1];
  if (script === undefined) throw new Error('internal: the self command names no script');
  const root = dirname(dirname(script));
  for (const entry of INSTALL_ENTRIES) {
    if (!existsSync(join(root, entry))) {
      throw new ConfigError(
        `cannot build the micro-VM image: ${join(root, entry)} is missing (is this oxydra built?)`,
        {},
        { hint: 'in a checkout, run `npm run build` first; otherwise reinstall oxydra' },
      );
    }
  }
  const files = INSTALL_ENTRIES.map((entry) => ({ from: join(root, entry), to: entry }));
  const published = join(root, 'data', 'models.json');
  const catalog = existsSync(published)
    ? published
    : join(
        dirname(createRequire(join(root, 'package.json')).resolve('@oxydra/provider/package.json')),
        'data/models.json',
      );
  files.push({ from: catalog, to: 'data/models.json' });
  const seen = new Set<string>();
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = findPackageDir(from, name);
    if (dir === undefined) {
      if (optional) return;
      throw new ConfigError(
        `the micro-VM image needs the package ${name}, not installed beside ${root}`,
        {},
        {
          hint: 'reinstall oxydra, or run `npm ci` in a checkout',
        },
      );
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of RUNTIME_PACKAGES) visit(name, root, false);
  const dirs = [...seen];
  for (const dir of dirs) {
    // A package nested in another's node_modules travels inside its parent's folder.
    if (dirs.some((other) => other !== dir && dir.startsWith(`${other}/`))) continue;
    files.push({ from: dir, to: join('node_modules', dir.slice(dir.lastIndexOf('node_modules/') + 13)) });
  }
  return files;
}
