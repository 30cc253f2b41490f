/** `oxydra programs list|enable|disable|remove`: the installed programs and their state file. */
import { lstat, realpath, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { isInside } from '@oxydra/types/fs';
import { type ProgramsPlace, programsDirectory } from '../skills/locations.js';
import { SKILL_NAME } from '../skills/skill.js';
import { type InstalledProgram, installedPrograms } from './installed.js';
import { VERSIONS_DIR } from './layout.js';
import { readProgramsState, writeProgramsState } from './program-state.js';

export function listPrograms(place: ProgramsPlace): InstalledProgram[] {
  return installedPrograms(programsDirectory(place));
}

function installed(name: string, place: ProgramsPlace): InstalledProgram {
  const programs = listPrograms(place);
  const program = SKILL_NAME.test(name) ? programs.find((p) => p.name === name) : undefined;
  if (!program) {
    throw new UsageError(`no program "${name}" is installed`, {
      hint:
        programs.length > 0
          ? `installed: ${programs.map((p) => p.name).join(', ')}`
          : 'oxydra programs install <folder or git URL>',
    });
  }
  return program;
}

/** Turns a program's skill on or off for every agent; false when it already was. */
export async function setProgramEnabled(
  name: string,
  enabled: boolean,
  place: ProgramsPlace,
): Promise<boolean> {
  installed(name, place);
  const dir = programsDirectory(place);
  const state = readProgramsState(dir);
  const record = state.programs[name] ?? { enabled: true, missing_optional: [] };
  if (record.enabled === enabled) return false;
  state.programs[name] = { ...record, enabled };
  await writeProgramsState(dir, state);
  return true;
}

/** Removes the link, the version it points at, and the program's state. */
export async function removeProgram(name: string, place: ProgramsPlace): Promise<{ version?: string }> {
  const program = installed(name, place);
  const dir = programsDirectory(place);
  const link = join(dir, name);
  const stat = await lstat(link);
  if (stat.isSymbolicLink()) {
    const target = await realpath(link).catch(() => undefined);
    await unlink(link);
    const versions = await realpath(join(dir, VERSIONS_DIR)).catch(() => undefined);
    if (target !== undefined && versions !== undefined && isInside(versions, target)) {
      await rm(target, { recursive: true, force: true });
    }
  } else {
    await rm(link, { recursive: true, force: true });
  }
  const state = readProgramsState(dir);
  if (state.programs[name] !== undefined) {
    delete state.programs[name];
    await writeProgramsState(dir, state);
  }
  return program.manifest ? { version: program.manifest.version } : {};
}
