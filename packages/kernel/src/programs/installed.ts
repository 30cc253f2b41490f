/**
 * The installed programs, read from the programs folder: each `programs/<name>` link (or folder)
 * with its manifest and its state. A program whose manifest cannot be read is listed with the
 * problem rather than dropped, so `oxydra programs list` can say what is wrong.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_FILE } from './layout.js';
import { MANIFEST_FILE, type ProgramManifest, readManifest } from './manifest.js';
import { type ProgramRecord, readProgramsState } from './program-state.js';

export interface InstalledProgram {
  name: string;
  /** `programs/<name>`: the link to the version in use. */
  dir: string;
  manifest?: ProgramManifest;
  record: ProgramRecord;
  /** Why the manifest could not be read. */
  problem?: string;
}

const MAX_PROGRAMS = 500;

/** Every program in `programsDir`, by name; [] when the folder does not exist. */
export function installedPrograms(programsDir: string): InstalledProgram[] {
  let names: string[];
  try {
    names = readdirSync(programsDir)
      .filter((name) => !name.startsWith('.') && name !== STATE_FILE)
      .sort()
      .slice(0, MAX_PROGRAMS);
  } catch {
    return [];
  }
  const state = readProgramsState(programsDir);
  const programs: InstalledProgram[] = [];
  for (const name of names) {
    const dir = join(programsDir, name);
    try {
      const stat = lstatSync(dir);
      if (!stat.isDirectory() && !stat.isSymbolicLink()) continue;
    } catch {
      continue;
    }
    const record = state.programs[name] ?? { enabled: true, missing_optional: [] };
    try {
      const manifest = readManifest(dir);
      if (manifest.name !== name) {
        programs.push({ name, dir, record, problem: `its ${MANIFEST_FILE} names "${manifest.name}"` });
      } else {
        programs.push({ name, dir, manifest, record });
      }
    } catch (error) {
      programs.push({ name, dir, record, problem: (error as Error).message });
    }
  }
  return programs;
}
