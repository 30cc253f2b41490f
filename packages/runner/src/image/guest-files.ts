/**
 * What goes into a guest image (the container tier's, over Debian, and the micro-VM's initramfs)
 * besides the operating system: the running Node binary and this very `oxydra` installation (its
 * package.json, launcher and bundle, and the few packages the bundle loads from node_modules at
 * run time), and the container image's tag that names exactly that content. The image is built
 * from what runs here, so the guest always runs the runner's own version.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { ConfigError } from '@oxydra/types';

/** The repository every guest image is tagged in: local only, never pushed anywhere. */
export const GUEST_IMAGE_REPOSITORY = 'localhost/oxydra-guest';
/** Where the installation sits inside the image, and its launcher. */
export const GUEST_OXYDRA_DIR = '/opt/oxydra';
export const GUEST_OXYDRA_BIN = `${GUEST_OXYDRA_DIR}/bin/oxydra.js`;

/**
 * Packages the bundle requires from node_modules at run time (scripts/pack-oxydra.mjs keeps the
 * same ones as real dependencies): libsql's native addon is loaded by name, hash-wasm by path.
 */
const RUNTIME_PACKAGES = ['libsql', '@libsql/client', 'hash-wasm'];
/** The installation's own files and folders, relative to its package root. */
const INSTALL_ENTRIES = ['package.json', 'bin', 'bundle'];

export interface GuestFiles {
  /** The running Node binary, copied to /usr/local/bin/node. */
  node: string;
  /** The `oxydra` package root (holding bin/oxydra.js). */
  packageRoot: string;
  version: string;
  /** The installation's files: `from` a host path, `to` a path relative to /opt/oxydra. */
  entries: { from: string; to: string }[];
  /** Package folders to copy to /opt/oxydra/node_modules/<name> (each with its nested node_modules). */
  modules: { name: string; dir: string }[];
}

interface PackageJson {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's, up to the filesystem root. */
function findPackageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The runtime packages and everything they depend on, as found from the package root. Missing
 * optional dependencies (other platforms' addons) are skipped; a package nested in another's
 * node_modules travels with its parent's folder.
 */
function runtimeModules(packageRoot: string): GuestFiles['modules'] {
  const found = new Map<string, string>(); // dir -> name
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = findPackageDir(from, name);
    if (dir === undefined) {
      if (optional) return;
      throw new ConfigError(
        `the guest image needs the package ${name}, which is not installed beside ${packageRoot}`,
        {},
        { hint: 'reinstall oxydra (`npm install -g oxydra`), or run `npm ci` in a checkout' },
      );
    }
    if (found.has(dir)) return;
    found.set(dir, name);
    const pkg = readPackage(dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of RUNTIME_PACKAGES) visit(name, packageRoot, false);
  const dirs = [...found.keys()];
  // A package nested in another's node_modules travels inside its parent's folder.
  const nested = (dir: string) => dirs.some((other) => other !== dir && dir.startsWith(`${other}/`));
  return dirs
    .filter((dir) => !nested(dir))
    .map((dir) => ({ name: found.get(dir)!, dir }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The model catalog: data/models.json beside the bundle in the published package; in a clone,
 * the provider package's own (which the bundle finds by the package name, as here).
 */
function modelCatalog(packageRoot: string): string {
  const published = join(packageRoot, 'data', 'models.json');
  if (existsSync(published)) return published;
  const providerPackage = createRequire(join(packageRoot, 'package.json')).resolve(
    '@oxydra/provider/package.json',
  );
  return join(dirname(providerPackage), 'data', 'models.json');
}

/** The installation behind `selfCommand` ([node, <root>/bin/oxydra.js]). */
export function guestFiles(selfCommand: readonly string[]): GuestFiles {
  const [node, script] = selfCommand;
  if (node === undefined || script === undefined) throw new Error('internal: empty self command');
  const packageRoot = dirname(dirname(script));
  for (const entry of INSTALL_ENTRIES) {
    if (!existsSync(join(packageRoot, entry))) {
      throw new ConfigError(
        `cannot build the guest image: ${join(packageRoot, entry)} is missing (is this oxydra built?)`,
        {},
        { hint: 'in a checkout, run `npm run build` first; otherwise reinstall oxydra' },
      );
    }
  }
  return {
    node,
    packageRoot,
    version: selfVersion(selfCommand),
    entries: [
      ...INSTALL_ENTRIES.map((entry) => ({ from: join(packageRoot, entry), to: entry })),
      { from: modelCatalog(packageRoot), to: 'data/models.json' },
    ],
    modules: runtimeModules(packageRoot),
  };
}

/**
 * Copies the installation into `target` (the guest's /opt/oxydra, staged on the host). Links are
 * copied as what they point to: a link into the host's tree would dangle in the guest.
 */
export function copyInstallation(files: GuestFiles, target: string): void {
  const copy = (from: string, to: string) => {
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, dereference: true });
  };
  for (const entry of files.entries) copy(entry.from, join(target, entry.to));
  for (const module of files.modules) copy(module.dir, join(target, 'node_modules', module.name));
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => listFiles(join(path, name)));
}

/**
 * `localhost/oxydra-guest:<version>-<12 hex>`: the hash covers the path, size and modification
 * time of the Node binary and of every file of the installation and runtime packages, and the
 * recipe, so an unchanged oxydra finds its image already built and a rebuilt or reinstalled one
 * never runs a stale guest. Not their content: every container start looks the tag up, and
 * reading ~140 MB took 4 s there (a `make`-style stamp costs milliseconds).
 */
export async function guestImageTag(files: GuestFiles, recipe: string): Promise<string> {
  const hash = createHash('sha256').update(recipe);
  const paths = [
    files.node,
    ...files.entries.flatMap((entry) => listFiles(entry.from)),
    ...files.modules.flatMap((module) => listFiles(module.dir)),
  ];
  for (const path of paths) {
    const stats = statSync(path);
    hash.update(`\0${relative(files.packageRoot, path)}\0${stats.size}\0${stats.mtimeMs}`);
  }
  return `${tagPrefix(files.version)}${hash.digest('hex').slice(0, 12)}`;
}

/** `localhost/oxydra-guest:<version>-`: every tag of `version`'s images, but for the hash. */
function tagPrefix(version: string): string {
  return `${GUEST_IMAGE_REPOSITORY}:${version.replace(/[^A-Za-z0-9_.-]/g, '_')}-`;
}

/** The version of the installation behind `selfCommand`, read from its package.json alone. */
export function selfVersion(selfCommand: readonly string[]): string {
  const script = selfCommand[1];
  if (script === undefined) throw new Error('internal: empty self command');
  return readPackage(dirname(dirname(script))).version ?? '0.0.0';
}

/** Whether `tag` is one guestImageTag gives an installation of `version` (whatever its files). */
export function isGuestImageTag(tag: string, version: string): boolean {
  const prefix = tagPrefix(version);
  return tag.startsWith(prefix) && /^[0-9a-f]{12}$/.test(tag.slice(prefix.length));
}
