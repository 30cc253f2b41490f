// The rules for sharing test support between packages (issue 32, "test support in one home"),
// run by scripts/check-test-imports.mjs:
//   - a package shares a test helper (or a fixture folder's path) by declaring it in its
//     package.json exports as `./testing/<name>`, under the "oxydra-testing" condition alone and
//     pointing into its test folder; vitest.config.ts and tsconfig.test.json resolve that
//     condition, while the build, the CLI's bundle and Node never do, so no shipped code can
//     import test support and the published package never carries it;
//   - a test reaches another package's test support only by that name
//     (@oxydra/gateway/testing/helpers), never by a relative path into the package's test folder
//     (`../../gateway/test/helpers.js`, `new URL('../../mcp/test/fixtures', import.meta.url)`),
//     so what a package shares is written down in one place, its exports;
//   - a test of package X uses the test support only of packages X's layer may import
//     (scripts/check-layers.mjs): the testkit (layer 2) holds what every layer shares, and test
//     support that needs a gateway or a kernel stays with that package instead of pulling it
//     below its layer.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { LAYERS } from './check-layers.mjs';

export const TESTING_CONDITION = 'oxydra-testing';

const SPECIFIERS = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];
const TESTING_SPECIFIER = /^(@oxydra\/[^/]+)\/testing(\/|$)/;

/** The package folder (packages/<name>) a repository-relative path is in, if any. */
function packageOf(where) {
  const parts = where.split(sep);
  return parts[0] === 'packages' && parts.length > 2 ? parts[1] : undefined;
}

/** Problems with one test file's reach into other packages' test support. */
export function testSupportProblems(root, file, text) {
  const problems = [];
  const where = relative(root, file);
  const own = packageOf(where);
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), specifier)).split(sep);
        if (target[0] === 'packages' && target[2] === 'test' && target[1] !== own)
          problems.push(
            `${where}: reaches ${specifier}, another package's test folder, by a relative path; import it as @oxydra/${target[1]}/testing/<name>, declared in packages/${target[1]}/package.json exports under "${TESTING_CONDITION}" (see scripts/test-support.mjs)`,
          );
        continue;
      }
      const name = TESTING_SPECIFIER.exec(specifier)?.[1];
      const rank = own === undefined ? undefined : LAYERS[`@oxydra/${own}`];
      if (name && rank !== undefined && name in LAYERS && LAYERS[name] >= rank)
        problems.push(
          `${where}: imports ${specifier}, but @oxydra/${own} (layer ${rank}) may not import ${name} (layer ${LAYERS[name]}); move what it shares to @oxydra/testkit or to a package below @oxydra/${own}`,
        );
    }
  }
  return problems;
}

/** Problems with the `./testing/<name>` entries of the packages' exports. */
export function testingExportProblems(root) {
  const problems = [];
  const packages = join(root, 'packages');
  for (const dir of readdirSync(packages)) {
    const path = join(packages, dir, 'package.json');
    if (!existsSync(path)) continue;
    const exports = JSON.parse(readFileSync(path, 'utf8')).exports;
    if (!exports || typeof exports !== 'object') continue;
    for (const [key, value] of Object.entries(exports)) {
      const target = JSON.stringify(value);
      const testOnly =
        value !== null &&
        typeof value === 'object' &&
        Object.keys(value).join() === TESTING_CONDITION &&
        /^\.\/test\/[^*]+\.ts$/.test(value[TESTING_CONDITION]);
      if (key.startsWith('./testing') && !testOnly)
        problems.push(
          `packages/${dir}/package.json: exports ${key} as ${target}; a testing entry is { "${TESTING_CONDITION}": "./test/<name>.ts" } and nothing else, so only tests resolve it`,
        );
      else if (!key.startsWith('./testing') && target.includes('./test/'))
        problems.push(
          `packages/${dir}/package.json: exports ${key} from the test folder; test support goes under ./testing/<name> with the "${TESTING_CONDITION}" condition alone`,
        );
    }
  }
  return problems;
}
