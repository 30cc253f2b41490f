// Import cycles inside one package: files that import each other, directly or around a loop.
// Type-only imports count too: a cycle of types is still two files that cannot be understood
// (or moved) apart. Used by check-layers.mjs. Tarjan's strongly connected components, iterative.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const RELATIVE_IMPORT = /\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The source file a relative specifier names: `./x.js` is `./x.ts` (or .tsx) in TypeScript. */
function resolveSpecifier(fromFile, specifier) {
  const base = join(dirname(fromFile), specifier);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && /\.(ts|tsx|mts|js|mjs)$/.test(candidate)) return candidate;
  }
  return undefined;
}

/** files: [{path, text}] of one package. Returns each cycle as its files, relative to `root`. */
export function importCycles(files, root) {
  const known = new Set(files.map((file) => file.path));
  const edges = new Map();
  for (const { path, text } of files) {
    const targets = new Set();
    for (const match of text.matchAll(RELATIVE_IMPORT)) {
      const target = resolveSpecifier(path, match[1]);
      if (target && known.has(target) && target !== path) targets.add(target);
    }
    edges.set(path, [...targets]);
  }
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let counter = 0;
  for (const start of edges.keys()) {
    if (index.has(start)) continue;
    // Each frame: a node and how far through its edges we are.
    const frames = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const targets = edges.get(frame.node);
      if (frame.next < targets.length) {
        const target = targets[frame.next++];
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          frames.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(target)));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node), low.get(frame.node)));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) cycles.push(component.map((file) => relative(root, file)).sort());
      }
    }
  }
  return cycles;
}
