#!/usr/bin/env node
// Makes the publishable `oxydra` package: build/oxydra/ (staged) and build/oxydra-<version>.tgz.
//
// One package, with the internal @oxydra/* packages bundled in rather than published beside it:
// they change together and are versioned together, so publishing ~17 packages would only give
// users ways to mix versions that were never tested together, and an install would fetch all of
// their npm dependencies (191 MB, 178 packages measured) where the bundle carries only the code a
// command really loads. What stays a real npm dependency is what cannot or should not be bundled:
//   - libsql: a native addon (prebuilt binaries per platform, no compile step), and
//     @libsql/client over it (the library's types name it);
//   - hash-wasm: loaded by file path for its BLAKE3 build alone (see kernel audit/entry.ts);
//   - zod, for the declaration files only (see TYPES_DEPENDENCIES).
// The library surface (oxydra/kernel, oxydra/plugin, oxydra/testkit) is bundled from the same
// build as the CLI, so both share chunks, with declaration files bundled by rolldown-plugin-dts.
//
// Usage: npm run build && node scripts/pack-oxydra.mjs   (prints the tarball's path)
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { dts } from 'rolldown-plugin-dts';
import { writeBundle, writeCommonJsBundle } from './bundle-cli.mjs';
import { checkLauncherShLine } from './launcher-sh.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts) => join(repo, ...parts);
const out = at('build');
const stage = join(out, 'oxydra');

/** Packages loaded from node_modules at run time, with their types. */
const RUNTIME_DEPENDENCIES = ['libsql', '@libsql/client', 'hash-wasm'];
/**
 * Packages only the declaration files import. zod's code is bundled (loading its ~100 modules
 * from node_modules costs ~70 ms at every start), but the library's types name zod's, so a
 * TypeScript user needs it installed; a plugin author writes its config schema with it too.
 */
const TYPES_DEPENDENCIES = ['zod'];
/** The library entry points (`oxydra/<name>`), each packages/cli/src/library/<name>.ts. */
const LIBRARY = ['kernel', 'plugin', 'testkit'];
const libraryFile = (name, extension) => at('packages/cli/dist/library', `${name}.${extension}`);

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The version range the workspace packages already declare for `name` (one source of truth). */
function declaredRange(name) {
  const ranges = new Set();
  for (const dir of readdirSync(at('packages'))) {
    const path = at('packages', dir, 'package.json');
    if (!existsSync(path)) continue;
    const range = readJson(path).dependencies?.[name];
    if (range) ranges.add(range);
  }
  if (ranges.size !== 1)
    fail(
      `the workspace declares ${name} ${ranges.size === 0 ? 'nowhere' : `as ${[...ranges].join(' and ')}`}; declare one range in the package that uses it`,
    );
  return [...ranges][0];
}

for (const [what, path] of [
  ['the compiled CLI', at('packages/cli/dist/main.js')],
  ['the web dashboard', at('packages/web/dist/index.html')],
]) {
  if (!existsSync(path)) fail(`${what} is not built (${path} is missing); run \`npm run build\` first`);
}

const cli = readJson(at('packages/cli/package.json'));
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
const step = (message) => process.stderr.write(`pack: ${message}\n`);

step('bundling the CLI and the library entry points');
await writeBundle({
  input: {
    main: at('packages/cli/dist/main.js'),
    ...Object.fromEntries(LIBRARY.map((name) => [name, libraryFile(name, 'js')])),
  },
  dir: join(stage, 'bundle'),
  external: RUNTIME_DEPENDENCIES,
});
step('bundling the CLI as CommonJS (the commands bin/code-cache.cjs runs)');
await writeCommonJsBundle({
  input: at('packages/cli/dist/main.js'),
  dir: join(stage, 'bundle'),
  external: RUNTIME_DEPENDENCIES,
});

step('bundling the declaration files');
const types = await rolldown({
  input: Object.fromEntries(LIBRARY.map((name) => [name, libraryFile(name, 'd.ts')])),
  platform: 'node',
  logLevel: 'warn',
  // The dts plugin's callbacks take most of this build by design; rolldown's timing report of
  // them is a warning a user packing the clone can do nothing about.
  checks: { bundlerTimings: false },
  // Our own packages' types are inlined; npm packages' stay imports of the dependencies.
  external: (id) => !id.startsWith('@oxydra/') && !id.startsWith('.') && !id.startsWith('/'),
  plugins: [dts({ dtsInput: true, emitDtsOnly: true, tsconfig: false })],
});
await types.write({ dir: join(stage, 'types'), format: 'esm' });
await types.close();

step('copying the launcher, the dashboard and the model catalog');
// The launcher's sh line is generated from its table (packages/cli/bin/launch-table.cjs, copied
// with it); a stale line would start the packaged gateway with other settings than the table's.
if (!checkLauncherShLine()) {
  throw new Error(
    'packages/cli/bin/oxydra.js: the sh line is stale; run node scripts/launcher-sh.mjs --write',
  );
}
cpSync(at('packages/cli/bin'), join(stage, 'bin'), { recursive: true });
cpSync(at('packages/web/dist'), join(stage, 'web'), { recursive: true });
mkdirSync(join(stage, 'data'));
cpSync(at('packages/provider/data/models.json'), join(stage, 'data/models.json'));
cpSync(at('README.md'), join(stage, 'README.md'));
cpSync(at('LICENSE'), join(stage, 'LICENSE'));

const manifest = {
  name: 'oxydra',
  version: cli.version,
  description: readJson(at('package.json')).description,
  type: 'module',
  license: cli.license,
  bin: { oxydra: './bin/oxydra.js' },
  engines: cli.engines,
  files: ['bin', 'bundle', 'types', 'web', 'data'],
  exports: {
    './package.json': './package.json',
    ...Object.fromEntries(
      LIBRARY.map((name) => [
        `./${name}`,
        { types: `./types/${name}.d.ts`, default: `./bundle/${name}.mjs` },
      ]),
    ),
  },
  dependencies: Object.fromEntries(
    [...RUNTIME_DEPENDENCIES, ...TYPES_DEPENDENCIES].map((name) => [name, declaredRange(name)]),
  ),
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

step('packing');
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }),
)[0];
const tarball = join(out, packed.filename);
step(
  `${packed.filename}: ${(statSync(tarball).size / 1e6).toFixed(1)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${packed.entryCount} files`,
);
process.stdout.write(`${tarball}\n`);
