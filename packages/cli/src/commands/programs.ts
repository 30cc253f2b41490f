/**
 * `oxydra programs install|list|enable|disable|remove`: Oxios-style programs (program.toml +
 * SKILL.md) in the user's configuration folder, for every workspace. Install checks the host
 * requirements first (a missing required tool: exit 2 naming it; a missing optional one: a
 * warning) and switches versions atomically.
 */
import { findWorkspaceRoot } from '@oxydra/config';
import {
  installProgram,
  listPrograms,
  type ProgramsPlace,
  removeProgram,
  setProgramEnabled,
} from '@oxydra/kernel/skills';
import { visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printLines, printWarning } from '../run/print.js';

const place = (): ProgramsPlace => ({ env: process.env, cwd: findWorkspaceRoot() });
const warn = printWarning;

export async function runProgramsInstall(source: string, options: { branch?: string }): Promise<number> {
  const result = await installProgram(source, {
    ...place(),
    ...(options.branch !== undefined ? { branch: options.branch } : {}),
  });
  for (const name of result.missingOptional) {
    warn(`optional host tool "${name}" not found on PATH: ${result.name} works without it, with less`);
  }
  for (const path of result.skipped)
    warn(`not copied: ${path} (a link leading out of the folder, or not a regular file)`);
  const what =
    result.previousVersion === undefined
      ? `installed ${result.name} ${result.version}`
      : result.previousVersion === result.version
        ? `reinstalled ${result.name} ${result.version}`
        : `upgraded ${result.name} ${result.previousVersion} -> ${result.version}`;
  printLines(`${what}${result.enabled ? '' : ` (disabled: oxydra programs enable ${result.name})`}\n`);
  return EXIT_OK;
}

export async function runProgramsList(options: { json?: boolean }): Promise<number> {
  const programs = listPrograms(place());
  if (options.json) {
    const rows = programs.map((program) => ({
      name: program.name,
      version: program.manifest?.version ?? null,
      description: program.manifest?.description ?? null,
      author: program.manifest?.author ?? null,
      enabled: program.record.enabled,
      requires_tools: program.manifest?.requiresTools ?? [],
      host_required: program.manifest?.hostRequired ?? [],
      host_optional: program.manifest?.hostOptional ?? [],
      missing_optional: program.record.missing_optional,
      source: program.record.source ?? null,
      dir: program.dir,
      ...(program.problem !== undefined ? { problem: program.problem } : {}),
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  if (programs.length === 0) {
    process.stdout.write('no programs: oxydra programs install <folder or git URL>\n');
    return EXIT_OK;
  }
  const width = Math.max(4, ...programs.map((program) => program.name.length));
  const versionWidth = Math.max(7, ...programs.map((program) => program.manifest?.version.length ?? 1));
  process.stdout.write(`${'NAME'.padEnd(width)}  ${'VERSION'.padEnd(versionWidth)}  STATE     DESCRIPTION\n`);
  for (const program of programs) {
    const state = program.problem !== undefined ? 'BROKEN' : program.record.enabled ? 'enabled' : 'disabled';
    const notes = [
      program.manifest?.requiresTools.length
        ? `needs tools: ${program.manifest.requiresTools.join(', ')}`
        : undefined,
      program.record.missing_optional.length > 0
        ? `missing optional: ${program.record.missing_optional.join(', ')}`
        : undefined,
      program.problem,
    ].filter((note) => note !== undefined);
    // A manifest's text is its author's: one line, controls made visible.
    printLines(
      `${program.name.padEnd(width)}  ${(program.manifest?.version ?? '-').padEnd(versionWidth)}  ${state.padEnd(8)}  ${visibleLine(`${program.manifest?.description ?? ''}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`)}\n`,
    );
  }
  return EXIT_OK;
}

export async function runProgramsEnable(name: string): Promise<number> {
  const changed = await setProgramEnabled(name, true, place());
  process.stdout.write(`${name} ${changed ? 'enabled' : 'was already enabled'}\n`);
  return EXIT_OK;
}

export async function runProgramsDisable(name: string): Promise<number> {
  const changed = await setProgramEnabled(name, false, place());
  process.stdout.write(`${name} ${changed ? 'disabled' : 'was already disabled'}\n`);
  return EXIT_OK;
}

export async function runProgramsRemove(name: string): Promise<number> {
  const removed = await removeProgram(name, place());
  process.stdout.write(`removed ${name}${removed.version !== undefined ? ` ${removed.version}` : ''}\n`);
  return EXIT_OK;
}
