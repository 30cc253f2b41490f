#!/usr/bin/env node
// The kernel stays small (issue 32, "a small core"): the names `@oxydra/kernel` exports (types
// included) stay within INDEX_MAX_NAMES, and the facade (kernel.ts) within FACADE_MAX_LINES.
// Held services' names belong in the subpath entries (packages/kernel/src/exports/*), not here.
// FACADE_MAX_LINES is where the facade stands today; lower it as it shrinks (the target is 200).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const INDEX_MAX_NAMES = 40;
const FACADE_MAX_LINES = 199;
const root = fileURLToPath(new URL('..', import.meta.url));
const index = `${root}packages/kernel/src/index.ts`;
const facade = `${root}packages/kernel/src/kernel.ts`;

const program = ts.createProgram([index], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  noEmit: true,
  skipLibCheck: true,
  noResolve: false,
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(index);
const symbol = source && checker.getSymbolAtLocation(source);
if (!symbol) {
  console.error(`kernel size check: cannot read ${index}`);
  process.exit(1);
}
const names = checker.getExportsOfModule(symbol).map((exported) => exported.name);
const facadeLines = readFileSync(facade, 'utf8').split('\n').length - 1;
const problems = [];
if (names.length > INDEX_MAX_NAMES)
  problems.push(
    `@oxydra/kernel exports ${names.length} names (at most ${INDEX_MAX_NAMES}): move a held service's names to its subpath (packages/kernel/src/exports/)`,
  );
if (facadeLines > FACADE_MAX_LINES)
  problems.push(
    `packages/kernel/src/kernel.ts has ${facadeLines} lines (at most ${FACADE_MAX_LINES}): give the new work a module of its own and hold it (services/registry.ts)`,
  );
for (const problem of problems) console.error(`kernel size check: ${problem}`);
if (problems.length > 0) process.exit(1);
console.log(`kernel size check: ${names.length} names in @oxydra/kernel, facade ${facadeLines} lines`);
