#!/usr/bin/env node
// Fails when a test outside the testkit reaches into the testkit's sources by a relative path,
// or waits by hand-rolled polling: a loop that sleeps and checks again, vi.waitFor or
// expect.poll. Tests import the testkit by package name (@oxydra/testkit,
// @oxydra/testkit/helpers), so they test what ships, and wait with its one pollUntil, so a
// timeout always says what it waited for (issue 32, "test support in one home"). Likewise a test
// reaches another package's test support by name (@oxydra/gateway/testing/helpers), never by a
// relative path into its test folder, and only below its own layer (scripts/test-support.mjs).
// The check looks at what the code does, not at what a helper is called, so a renamed loop is
// still found. A loop that sleeps for a reason other than polling (one that paces work, or
// measures timing) says so on its own line or in the comment just above it:
//   // poll-ok: <why this is not a poll>
// It also counts the temp folders a test makes by hand (mkdtemp/mkdtempSync called directly)
// instead of with the testkit's tempWorkspace: no file may have more than its entry in
// scripts/temp-dir-baseline.json (a new file has none, so 0), and a file with fewer fails until
// its entry is lowered, so the baseline only shrinks (as knip's does).
// Run: node scripts/check-test-imports.mjs [--root DIR]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { testingExportProblems, testSupportProblems } from './test-support.mjs';

const SPECIFIERS = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];
/** The marker that lets a justified exception stand; a reason must follow it. */
const ALLOW = /\/\/\s*poll-ok:\s*\S/;
/** Framework pollers: they retry a throwing assertion and time out without saying what they awaited. */
const FRAMEWORK_POLLERS = new Set(['vi.waitFor', 'vi.waitUntil', 'expect.poll']);
/**
 * Loops allowed by their opening text, for a file this check's author could not edit (it was
 * being split at the time); each is to get a "// poll-ok:" comment where it then lives, and its
 * entry here removed. Keyed by text, not path, so the entry follows the loop to its new file.
 */
const TEMPORARILY_ALLOWED_LOOPS = [];
/** Names a sleep imported from a shared test helper goes by (its body lives in another file). */
const IMPORTED_SLEEP = /^(sleep|delay|pause|wait)$/;

/** Source files below `directory` (none when it does not exist), minus dependencies and fixtures. */
function testFiles(directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|tsx|mts|js|mjs)$/.test(path) && !path.endsWith('.d.ts'))
    .filter((path) => !path.split(sep).some((part) => part === 'node_modules' || part === 'fixtures'))
    .map((path) => join(directory, path));
}

const isLoop = (node) =>
  ts.isForStatement(node) ||
  ts.isForOfStatement(node) ||
  ts.isForInStatement(node) ||
  ts.isWhileStatement(node) ||
  ts.isDoStatement(node);

/**
 * `new Promise((resolve) => setTimeout(resolve, ms))`: a promise only a timer settles. An
 * executor that also registers a waker (a frame queue's "wake me on the next frame, or at the
 * deadline") waits for an event, not a sleep, so it does not count.
 */
function isTimerPromise(node) {
  if (!ts.isNewExpression(node) || !ts.isIdentifier(node.expression) || node.expression.text !== 'Promise')
    return false;
  const executor = node.arguments?.[0];
  if (!executor || !(ts.isArrowFunction(executor) || ts.isFunctionExpression(executor))) return false;
  let body = executor.body;
  if (ts.isBlock(body)) {
    if (body.statements.length !== 1 || !ts.isExpressionStatement(body.statements[0])) return false;
    body = body.statements[0].expression;
  }
  return (
    ts.isCallExpression(body) && ts.isIdentifier(body.expression) && body.expression.text === 'setTimeout'
  );
}

/** Names this file binds to a sleep: timers/promises' setTimeout, or a function that wraps a timer promise. */
function sleepNames(source) {
  const names = new Set();
  const visit = (node) => {
    if (
      ts.isImportDeclaration(node) &&
      node.importClause?.namedBindings &&
      ts.isNamedImports(node.importClause.namedBindings)
    ) {
      const from = node.moduleSpecifier.text;
      for (const element of node.importClause.namedBindings.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (
          (/^(node:)?timers\/promises$/.test(from) && imported === 'setTimeout') ||
          IMPORTED_SLEEP.test(element.name.text)
        )
          names.add(element.name.text);
      }
    }
    const fn = ts.isFunctionDeclaration(node)
      ? node
      : ts.isVariableDeclaration(node) &&
          node.initializer &&
          (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
        ? node.initializer
        : undefined;
    const name = ts.isFunctionDeclaration(node)
      ? node.name
      : ts.isVariableDeclaration(node)
        ? node.name
        : undefined;
    if (fn?.body && name && ts.isIdentifier(name) && wrapsTimer(fn.body)) names.add(name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** A function body that is (or returns) a timer promise, outside any loop of its own. */
function wrapsTimer(body) {
  if (!ts.isBlock(body)) return isTimerPromise(body);
  return body.statements.some(
    (statement) =>
      (ts.isReturnStatement(statement) && statement.expression && isTimerPromise(statement.expression)) ||
      (ts.isExpressionStatement(statement) &&
        ts.isAwaitExpression(statement.expression) &&
        isTimerPromise(statement.expression.expression)),
  );
}

/** Whether `expression` (an awaited operand) is a sleep: a timer promise or a call of a sleep name. */
function isSleep(expression, names) {
  if (isTimerPromise(expression)) return true;
  return (
    ts.isCallExpression(expression) &&
    ts.isIdentifier(expression.expression) &&
    names.has(expression.expression.text)
  );
}

/** The first awaited sleep inside `loop`, not counting functions defined in it (they run elsewhere). */
function sleepIn(loop, names) {
  let found;
  const visit = (node) => {
    if (found || ts.isFunctionLike(node)) return;
    if (ts.isAwaitExpression(node) && isSleep(node.expression, names)) found = node;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(loop, visit);
  return found;
}

/** Whether the line at `index` (0-based), or the comment lines just above it, carry the allow marker. */
function allowed(lines, index) {
  if (ALLOW.test(lines[index] ?? '')) return true;
  for (let i = index - 1; i >= 0 && /^\s*\/\//.test(lines[i]); i--) if (ALLOW.test(lines[i])) return true;
  return false;
}

const parse = (fileName, text) => ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);

/** The hand-rolled polls in one test file's text, as "line: what" strings. */
export function handRolledPolls(fileName, text, source = parse(fileName, text)) {
  const lines = text.split('\n');
  const names = sleepNames(source);
  const found = [];
  const lineOf = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line;
  const visit = (node) => {
    if (isLoop(node)) {
      const sleep = sleepIn(node, names);
      const temporarilyAllowed = TEMPORARILY_ALLOWED_LOOPS.some((head) =>
        node.getText(source).startsWith(head),
      );
      if (sleep && !temporarilyAllowed && !allowed(lines, lineOf(node)) && !allowed(lines, lineOf(sleep)))
        found.push(`${lineOf(node) + 1}: sleeps in a loop (line ${lineOf(sleep) + 1})`);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const callee = node.expression.getText(source);
      if (FRAMEWORK_POLLERS.has(callee) && !allowed(lines, lineOf(node)))
        found.push(`${lineOf(node) + 1}: calls ${callee}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Direct mkdtemp/mkdtempSync calls (`mkdtempSync(...)`, `fs.mkdtemp(...)`) in one parsed file. */
function tempDirCalls(source) {
  let count = 0;
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : undefined;
      if (name === 'mkdtemp' || name === 'mkdtempSync') count++;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return count;
}

/** The committed per-file counts of direct temp-folder calls (none when there is no baseline). */
function tempDirBaseline(root) {
  const path = join(root, 'scripts', 'temp-dir-baseline.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).files : {};
}

export function checkTestImports(root) {
  const problems = [];
  const baseline = tempDirBaseline(root);
  const seen = new Set();
  const dirs = [join(root, 'scripts', 'test')];
  for (const dir of readdirSync(join(root, 'packages'))) dirs.push(join(root, 'packages', dir, 'test'));
  for (const file of dirs.flatMap(testFiles)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    const key = where.split(sep).join('/');
    seen.add(key);
    const source = parse(file, text);
    const calls = tempDirCalls(source);
    const allowedCalls = baseline[key] ?? 0;
    if (calls > allowedCalls)
      problems.push(
        `${where}: makes ${calls} temp folder(s) with mkdtemp/mkdtempSync (baseline ${allowedCalls}); use tempWorkspace from @oxydra/testkit/helpers`,
      );
    else if (calls < allowedCalls)
      problems.push(
        `${where}: makes ${calls} temp folder(s) with mkdtemp/mkdtempSync, fewer than its baseline ${allowedCalls}; lower the baseline in scripts/temp-dir-baseline.json`,
      );
    // The testkit's own tests reach its sources by path: that is what they test.
    if (!where.startsWith(join('packages', 'testkit'))) {
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
    }
    problems.push(...testSupportProblems(root, file, text));
    for (const poll of handRolledPolls(file, text, source)) {
      problems.push(
        `${where}:${poll}; wait with pollUntil from @oxydra/testkit/helpers, or mark a loop that is not a poll with "// poll-ok: <why>"`,
      );
    }
  }
  problems.push(...testingExportProblems(root));
  for (const [key, count] of Object.entries(baseline))
    if (!seen.has(key) && count > 0)
      problems.push(
        `${key}: gone, but has a temp-folder baseline of ${count}; lower the baseline in scripts/temp-dir-baseline.json`,
      );
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
