#!/usr/bin/env node
// The sh line at the top of packages/cli/bin/oxydra.js, generated from the launcher table
// (packages/cli/bin/launch-table.cjs): for each command with start-time settings, glibc's
// malloc variables (each unless set) and the V8 flags on node's command line, which can only
// be given when the process starts. sh reads the line; to Node it is a string and a comment.
// Run: node scripts/launcher-sh.mjs [--write]   (without --write: exits 1 when the line is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  HEAP_GROWING_FLAG,
  HEAP_GROWING_PERCENT_ENV,
  LAUNCH_TABLE,
} from '../packages/cli/bin/launch-table.mjs';

export const LAUNCHER_FILE = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

/** The exec of node for one command: its start flags, and the heap growing factor unless the variable is set. */
function execLine(launch) {
  const flags = (launch.startV8Flags ?? []).join(' ');
  if (launch.heapGrowingPercent === undefined) return `exec node ${flags} "$0" "$@"`;
  return `h=${HEAP_GROWING_FLAG}=${launch.heapGrowingPercent}; [ -n "$${HEAP_GROWING_PERCENT_ENV}" ] && h=; exec node ${flags} $h "$0" "$@"`;
}

/** The second line of bin/oxydra.js, as the table says it should be. */
export function launcherShLine(table = LAUNCH_TABLE) {
  let line = "':' //; ";
  for (const [command, launch] of Object.entries(table)) {
    if (!launch.malloc && !launch.startV8Flags) continue;
    line += `if [ "$1" = ${command} ]; then `;
    const malloc = Object.entries(launch.malloc ?? {});
    if (malloc.length > 0)
      line += `export ${malloc.map(([name, value]) => `${name}="\${${name}-${value}}"`).join(' ')}; `;
    const exec = execLine(launch);
    line += launch.unlessNodeOptions
      ? `case "$NODE_OPTIONS" in ${launch.unlessNodeOptions}) ;; *) ${exec} ;; esac; `
      : `${exec}; `;
    line += 'fi; ';
  }
  return `${line}exec node "$0" "$@"`;
}

/** Whether bin/oxydra.js carries the line the table gives; with `write`, makes it so. */
export function checkLauncherShLine({ write = false } = {}) {
  const lines = readFileSync(LAUNCHER_FILE, 'utf8').split('\n');
  const wanted = launcherShLine();
  if (lines[1] === wanted) return true;
  if (!write) return false;
  lines[1] = wanted;
  writeFileSync(LAUNCHER_FILE, lines.join('\n'));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const write = process.argv.includes('--write');
  if (!checkLauncherShLine({ write })) {
    console.error(
      'packages/cli/bin/oxydra.js: the sh line differs from launch-table.cjs; run node scripts/launcher-sh.mjs --write',
    );
    process.exit(1);
  }
}
