// bench/sdk-vs-fetch.mjs: what each SDK (and eventsource-parser) costs to import, in fresh processes,
// from node_modules and bundled alone as the CLI bundles it, beside an empty module.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { summarize } from '../stats.mjs';
import { round } from './calls.mjs';
import { ROOT } from './provider-internals.mjs';

/** Time, RSS and heap importing one module adds, in a fresh process. */
function importOnce(specifier) {
  const script = `
    gc(); const m0 = process.memoryUsage(); const t0 = performance.now();
    await import(${JSON.stringify(specifier)});
    const ms = performance.now() - t0; gc(); const m1 = process.memoryUsage();
    process.stdout.write(JSON.stringify({ ms, rss: m1.rss - m0.rss, heap: m1.heapUsed - m0.heapUsed }));`;
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${specifier} failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Medians over --import-runs rounds, each round importing every module once (interleaved). */
function importCosts(specifiers, importRuns) {
  const samples = Object.fromEntries(Object.keys(specifiers).map((key) => [key, []]));
  for (let i = 0; i < importRuns; i++) {
    for (const [key, specifier] of Object.entries(specifiers)) samples[key].push(importOnce(specifier));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([key, runs]) => {
      const median = (field) => summarize(runs.map((sample) => sample[field])).median_ms;
      return [
        key,
        {
          import_ms_median: round(median('ms'), 1),
          import_ms_all: runs.map((sample) => round(sample.ms, 1)),
          rss_added_mb_median: round(median('rss') / 2 ** 20, 1),
          heap_added_mb_median: round(median('heap') / 2 ** 20, 1),
        },
      ];
    }),
  );
}

/** `exports` bundled alone with the CLI bundle's rolldown settings: all chunks, and the entry. */
async function bundled(writeBundle, dir, name, exportsLine) {
  const entry = join(dir, `${name}.mjs`);
  const out = join(dir, `${name}-out`);
  writeFileSync(entry, `${exportsLine}\n`);
  await writeBundle({ input: entry, dir: out });
  const files = readdirSync(out);
  return {
    bytes: files.reduce((sum, file) => sum + statSync(join(out, file)).size, 0),
    files: files.length,
    entry: pathToFileURL(join(out, 'main.mjs')).href,
  };
}

const SDK_IMPORTS = {
  // What the OpenAI adapters imported until issue 18.4 (now a dev dependency only).
  openai: (path) =>
    `export { default as OpenAI, APIError, APIConnectionError, APIConnectionTimeoutError } from ${path};`,
  '@anthropic-ai/sdk': (path) =>
    `export { default as Anthropic, APIError, APIConnectionError, APIConnectionTimeoutError } from ${path};`,
  // What the Gemini adapter imported until it moved to fetch: measured while still installed.
  '@google/genai': (path) => `export { GoogleGenAI, ApiError } from ${path};`,
  'eventsource-parser': (path) => `export { createParser } from ${path};`,
};

function installed(specifier) {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
const NOT_INSTALLED = Object.keys(SDK_IMPORTS).filter((specifier) => !installed(specifier));

/** Per SDK installed: its version, import costs and bundle; and the empty module's import costs. */
export async function measureSdks(importRuns) {
  const sdks = {};
  const { writeBundle } = await import('../../scripts/bundle-cli.mjs');
  const workDir = mkdtempSync(join(tmpdir(), 'oxydra-sdk-size-'));
  let baseline;
  try {
    // The empty module: what the first dynamic import of anything costs (the ESM loader itself).
    writeFileSync(join(workDir, 'empty.mjs'), 'export {};\n');
    const targets = { empty: pathToFileURL(join(workDir, 'empty.mjs')).href };
    const bundles = {};
    for (const [specifier, exportsLine] of Object.entries(SDK_IMPORTS)) {
      if (NOT_INSTALLED.includes(specifier)) continue;
      const resolved = JSON.stringify(fileURLToPath(import.meta.resolve(specifier)));
      bundles[specifier] = await bundled(
        writeBundle,
        workDir,
        specifier.replace(/[@/]/g, '_'),
        exportsLine(resolved),
      );
      targets[specifier] = specifier;
      // The bundle: what `oxydra` (which loads the SDKs from its own bundle) pays on a first call.
      targets[`${specifier} (bundled)`] = bundles[specifier].entry;
    }
    const costs = importCosts(targets, importRuns);
    baseline = costs.empty;
    for (const specifier of NOT_INSTALLED) sdks[specifier] = { skipped: 'not installed' };
    for (const [specifier, { bytes, files }] of Object.entries(bundles)) {
      sdks[specifier] = {
        version: JSON.parse(readFileSync(join(ROOT, 'node_modules', specifier, 'package.json'), 'utf8'))
          .version,
        ...costs[specifier],
        bundled: { bytes, files, ...costs[`${specifier} (bundled)`] },
      };
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return { sdks, baseline };
}
