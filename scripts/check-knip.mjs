#!/usr/bin/env node
// Runs knip (knip.json: the workspaces, the CLI's bin and library entries, tests and benches as
// entries) and fails on any unused file, export, type, dependency or unlisted import that is not
// in the committed baseline (scripts/knip-baseline.json). The baseline may only shrink:
//   node scripts/check-knip.mjs            fails on anything new; says what left the baseline
//   node scripts/check-knip.mjs --update   rewrites the baseline, only when nothing is new
// To shrink it: delete the unused export (or file, or dependency) knip names, then --update.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BASELINE = fileURLToPath(new URL('knip-baseline.json', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The kinds of finding tracked (knip's JSON keys); binaries are the system's tools tests call. */
const KINDS = ['files', 'exports', 'types', 'dependencies', 'devDependencies', 'unlisted', 'duplicates'];

/** knip's findings, one line each: "<kind> <file>[: <name>]". */
export function knipFindings() {
  const knip = fileURLToPath(new URL('../node_modules/knip/bin/knip.js', import.meta.url));
  const run = spawnSync(process.execPath, [knip, '--reporter', 'json', '--no-progress'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`knip did not report (exit ${run.status}): ${run.stderr.slice(0, 2000)}`);
  }
  const lines = new Set();
  for (const issue of report.issues) {
    for (const kind of KINDS) {
      for (const item of issue[kind] ?? []) {
        const name = Array.isArray(item) ? item.map((i) => i.name).join('|') : item.name;
        lines.add(kind === 'files' ? `files ${issue.file}` : `${kind} ${issue.file}: ${name}`);
      }
    }
  }
  return [...lines].sort();
}

/** The committed findings; undefined before the first --update wrote any. */
function readBaseline() {
  if (!existsSync(BASELINE)) return undefined;
  return JSON.parse(readFileSync(BASELINE, 'utf8')).findings;
}

function writeBaseline(findings) {
  const note =
    'Unused code knip found when this was written; may only shrink (scripts/check-knip.mjs --update).';
  writeFileSync(BASELINE, `${JSON.stringify({ note, count: findings.length, findings }, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const update = process.argv.includes('--update');
  const committed = readBaseline();
  const baseline = new Set(committed ?? []);
  const current = knipFindings();
  // The first --update records what there is; from then on the baseline only shrinks.
  const added = committed === undefined && update ? [] : current.filter((line) => !baseline.has(line));
  const gone = [...baseline].filter((line) => !current.includes(line));
  if (added.length > 0) {
    for (const line of added) console.error(`new: ${line}`);
    console.error(
      `knip check: ${added.length} new finding(s). Remove what is unused (or use it); the baseline only shrinks, so --update refuses while anything is new.`,
    );
    process.exit(1);
  }
  if (update) {
    writeBaseline(current);
    console.log(`knip baseline: ${baseline.size} -> ${current.length} findings`);
  } else {
    if (gone.length > 0)
      console.log(
        `knip check: ${gone.length} baseline finding(s) fixed; run node scripts/check-knip.mjs --update to shrink it`,
      );
    console.log(`knip check passed (${current.length} known findings in scripts/knip-baseline.json)`);
  }
}
