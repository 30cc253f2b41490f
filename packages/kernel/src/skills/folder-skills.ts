/**
 * Skills read from the tier folders and the installed programs (discover.ts loads this module
 * with loadSkillReaders, only once such a folder exists). A folder that is not a valid skill is
 * skipped with a warning naming it and the problem; nothing here throws for what a folder holds.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { realPathInside } from '@oxydra/types/fs';
import { installedPrograms } from '../programs/installed.js';
import type { SkillLocation } from './locations.js';
import { readSkillFolder, SKILL_FILE } from './read-skill.js';
import type { Skill } from './skill.js';

/** Told of a folder skipped (a warning, or discovery marked pending for the YAML parser). */
export type Skipped = (what: string, error: unknown) => void;

/** Entries looked at per folder: a huge folder cannot make every agent's assembly slow. */
const MAX_ENTRIES = 500;

export function folderSkills(
  location: SkillLocation,
  warn: (message: string) => void,
  skipped: Skipped,
): Skill[] {
  // A workspace's folder whose real path leads out of it (a repository's link to your skills).
  const inside = location.within === undefined ? undefined : realPathInside(location.within, location.path);
  if (inside !== undefined && 'outside' in inside) {
    warn(`skills: ${location.path} ${inside.outside}; not read`);
    return [];
  }
  let names: string[];
  try {
    names = readdirSync(location.path)
      .filter((name) => !name.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
  if (names.length > MAX_ENTRIES) {
    warn(`skills: ${location.path} has ${names.length} entries; only the first ${MAX_ENTRIES} are read`);
    names = names.slice(0, MAX_ENTRIES);
  }
  const skills: Skill[] = [];
  for (const name of names) {
    const dir = join(location.path, name);
    if (!isSkillFolder(dir, location.tier)) continue;
    try {
      const { skill } = readSkillFolder(dir, name);
      skills.push({ ...skill, tier: location.tier, dir, origin: join(dir, SKILL_FILE) });
    } catch (error) {
      skipped(`skill skipped: ${dir}`, error);
    }
  }
  return skills;
}

/**
 * A folder entry that may hold a skill. Only the user's own folder may link a skill in from
 * elsewhere (as people link ~/.claude/skills entries): the workspace's and [skills] dirs' may come
 * from a cloned repository, where a link could point anywhere on the machine.
 */
function isSkillFolder(path: string, tier: SkillLocation['tier']): boolean {
  try {
    const stat = lstatSync(path);
    if (stat.isDirectory()) return true;
    return stat.isSymbolicLink() && tier === 'user' && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function programSkills(
  programsDir: string,
  warn: (message: string) => void,
  skipped: Skipped,
): Skill[] {
  let programs: ReturnType<typeof installedPrograms>;
  try {
    programs = installedPrograms(programsDir);
  } catch (error) {
    warn(`programs skipped: ${(error as Error).message}`);
    return [];
  }
  const skills: Skill[] = [];
  for (const program of programs) {
    if (!program.record.enabled) continue;
    if (!program.manifest) {
      warn(`program skipped: ${program.dir}: ${program.problem}`);
      continue;
    }
    try {
      const { skill } = readSkillFolder(program.dir, program.name);
      skills.push({
        ...skill,
        tier: 'program',
        dir: program.dir,
        origin: join(program.dir, SKILL_FILE),
        program: {
          name: program.name,
          version: program.manifest.version,
          requiresTools: program.manifest.requiresTools,
        },
      });
    } catch (error) {
      skipped(`program skipped: ${program.dir}`, error);
    }
  }
  return skills;
}
