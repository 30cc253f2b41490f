#!/usr/bin/env node
// Fails when a package imports a package of its own layer or a higher one, imports any package
// it does not declare in its package.json, or has an import cycle among its own files.
// Run: node scripts/check-layers.mjs [--root DIR]
// Lower layers never import higher ones (ARCHITECTURE.md §2); this keeps it true.
// It reads the packages' src folders only: their tests import what they test and the testkit, and
// the test support they share follows the same order, checked by scripts/test-support.mjs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { importCycles } from './import-cycles.mjs';

/** Rank of each internal package: a package may import only packages of a strictly lower rank. */
export const LAYERS = {
  '@oxydra/types': 0, // foundation: contracts, no internal deps
  '@oxydra/config': 1, // foundation: config loading
  '@oxydra/plugin': 1, // the public plugin-author API (types and zod only)
  '@oxydra/gateway-client': 1, // the gateway protocol's one client (TUI, dashboard, tests); browser-safe
  '@oxydra/testkit': 2, // tooling: mock LLM servers (types only)
  '@oxydra/provider': 2, // core: wire adapters, catalog, reliability, embeddings
  '@oxydra/sandbox': 2, // core
  '@oxydra/tools': 3, // core: runs through the sandbox
  '@oxydra/memory': 4, // core: embeds through providers, defines the memory tools
  '@oxydra/mcp': 4, // core: MCP servers as a tool source (stdio through the sandbox, HTTP)
  '@oxydra/runtime': 5, // core: the loop over providers, tools, memory
  '@oxydra/otel': 5, // optional: OpenTelemetry over the kernel's events (types only; loaded lazily)
  '@oxydra/store-postgres': 5, // optional: the stores on PostgreSQL (memory's input rules; loaded only when asked)
  '@oxydra/kernel': 6, // application
  '@oxydra/gateway': 7,
  '@oxydra/channels': 7,
  '@oxydra/runner': 7,
  '@oxydra/shell-daemon': 7,
  '@oxydra/tui': 8,
  '@oxydra/web': 8,
  '@oxydra/cli': 9, // the binary: top of the stack
};

const IMPORT_PATTERNS = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const BUILTINS = new Set(builtinModules);

function packageNameOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? undefined : name;
}

export function sourceFiles(directory) {
  const files = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

export function checkLayers(root) {
  const problems = [];
  const packagesDir = join(root, 'packages');
  for (const dir of readdirSync(packagesDir)) {
    const pkgPath = join(packagesDir, dir, 'package.json');
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    } catch {
      continue;
    }
    const rank = LAYERS[pkg.name];
    if (rank === undefined) {
      problems.push(`${pkg.name}: not in the layer map; add it to LAYERS in scripts/check-layers.mjs`);
      continue;
    }
    const declared = new Set(
      Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }),
    );
    for (const dep of declared) {
      if (dep in LAYERS && LAYERS[dep] >= rank) {
        problems.push(
          `${pkg.name} (layer ${rank}) declares ${dep} (layer ${LAYERS[dep]}): lower layers never depend on higher or equal ones`,
        );
      }
    }
    const srcDir = join(packagesDir, dir, 'src');
    let files = [];
    try {
      files = sourceFiles(srcDir);
    } catch {}
    const texts = files.map((file) => ({ path: file, text: readFileSync(file, 'utf8') }));
    for (const cycle of importCycles(texts, root)) {
      problems.push(
        `${pkg.name}: import cycle between ${cycle.join(', ')}: move what they share into a file both import`,
      );
    }
    for (const { path: file, text } of texts) {
      const seen = new Set();
      for (const pattern of IMPORT_PATTERNS) {
        for (const match of text.matchAll(pattern)) {
          const name = packageNameOf(match[1]);
          if (!name || name === pkg.name || seen.has(name)) continue;
          seen.add(name);
          const where = relative(root, file);
          if (name in LAYERS && LAYERS[name] >= rank) {
            problems.push(
              `${where}: ${pkg.name} (layer ${rank}) imports ${name} (layer ${LAYERS[name]}): lower layers never import higher or equal ones`,
            );
          } else if (!declared.has(name)) {
            problems.push(
              `${where}: imports ${name}, which ${pkg.name} does not declare in its package.json dependencies`,
            );
          }
        }
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { root: { type: 'string', default: process.cwd() } } });
  const problems = checkLayers(values.root);
  if (problems.length > 0) {
    process.stderr.write(`layering check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('layering check passed\n');
}
