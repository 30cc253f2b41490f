#!/usr/bin/env node
// Fails when a test outside the testkit reaches into the testkit's sources by a relative path,
// or defines its own polling loop. Tests import the testkit by package name (@oxydra/testkit,
// @oxydra/testkit/helpers), so they test what ships, and wait with its one pollUntil, so a
// timeout always says what it waited for (issue 32, "test support in one home").
// Run: node scripts/check-test-imports.mjs [--root DIR]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';

const SPECIFIERS = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];
/** The names hand-rolled polling helpers went by: a function or an arrow bound to one of them. */
const POLLING_NAMES = 'waitFor|waitUntil|pollUntil|until|eventually|poll';
const POLLING_HELPER = new RegExp(
  `(?:\\bfunction\\s*\\*?\\s*(${POLLING_NAMES})\\s*[<(])|(?:\\b(?:const|let|var)\\s+(${POLLING_NAMES})\\s*=\\s*(?:async\\b|\\())`,
  'g',
);

/** Source files below `directory` (none when it does not exist), minus dependencies and fixtures. */
function testFiles(directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|tsx|mts|js|mjs)$/.test(path) && !path.endsWith('.d.ts'))
    .filter((path) => !path.split(sep).some((part) => part === 'node_modules' || part === 'fixtures'))
    .map((path) => join(directory, path));
}

export function checkTestImports(root) {
  const problems = [];
  const dirs = [join(root, 'scripts', 'test')];
  for (const dir of readdirSync(join(root, 'packages'))) {
    if (dir !== 'testkit') dirs.push(join(root, 'packages', dir, 'test'));
  }
  for (const file of dirs.flatMap(testFiles)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const pattern of SPECIFIERS) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1];
        if (specifier.startsWith('.') && /(^|\/)testkit\/(src|dist)(\/|$)/.test(specifier)) {
          problems.push(
            `${where}: imports ${specifier}; import @oxydra/testkit (or @oxydra/testkit/helpers) instead`,
          );
        }
      }
    }
    for (const match of text.matchAll(POLLING_HELPER)) {
      const line = text.slice(0, match.index).split('\n').length;
      problems.push(
        `${where}:${line}: defines its own polling helper ${match[1] ?? match[2]}; use pollUntil from @oxydra/testkit/helpers`,
      );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { root: { type: 'string', default: process.cwd() } } });
  const problems = checkTestImports(values.root);
  if (problems.length > 0) {
    process.stderr.write(`test imports check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('test imports check passed\n');
}
