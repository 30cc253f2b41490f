/**
 * Finds the skills in every location, in precedence order, and keeps the first of each name: a
 * workspace skill replaces a user one of the same name, which replaces a bundled one. A folder
 * that is not a valid skill is skipped with a warning naming it and the problem; nothing here
 * throws for what a folder holds.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareCodePoints } from '@oxydra/types';
import { installedPrograms } from '../programs/installed.js';
import { BUNDLED_SKILLS } from './bundled/index.js';
import { YamlNotLoaded } from './front-matter.js';
import type { SkillLocation } from './locations.js';
import { readSkillFolder, SKILL_FILE } from './read-skill.js';
import { parseSkill, type Skill } from './skill.js';

/** Entries looked at per folder: a huge folder cannot make every agent's assembly slow. */
const MAX_ENTRIES = 500;

export interface Discovery {
  /** The skills in force, one per name, sorted by name. */
  skills: Skill[];
  /** Skills hidden by one of the same name in a higher tier. */
  shadowed: Skill[];
  /** Some front matter needed the YAML parser before it was loaded: look again once it is. */
  pending: boolean;
}

type Skipped = (what: string, error: unknown) => void;

export function discoverSkills(
  locations: readonly SkillLocation[],
  warn: (message: string) => void,
): Discovery {
  const found: Skill[] = [];
  let pending = false;
  const skipped: Skipped = (what, error) => {
    if (error instanceof YamlNotLoaded) pending = true;
    else warn(`${what}: ${(error as Error).message}`);
  };
  for (const location of locations) {
    if (location.tier === 'program') found.push(...programSkills(location.path, warn, skipped));
    else found.push(...folderSkills(location, warn, skipped));
  }
  found.push(...bundledSkills());
  const skills = new Map<string, Skill>();
  const shadowed: Skill[] = [];
  for (const skill of found) {
    if (skills.has(skill.name)) shadowed.push(skill);
    else skills.set(skill.name, skill);
  }
  return {
    skills: [...skills.values()].sort((a, b) => compareCodePoints(a.name, b.name)),
    shadowed,
    pending,
  };
}

function folderSkills(location: SkillLocation, warn: (message: string) => void, skipped: Skipped): Skill[] {
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

function programSkills(programsDir: string, warn: (message: string) => void, skipped: Skipped): Skill[] {
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

let bundled: Skill[] | undefined;

function bundledSkills(): Skill[] {
  bundled ??= BUNDLED_SKILLS.map(({ name, text }) => ({
    ...parseSkill(text, name).skill,
    tier: 'bundled' as const,
    origin: `bundled:${name}`,
  }));
  return bundled;
}

/** A bundled skill's SKILL.md text. */
export function bundledText(name: string): string | undefined {
  return BUNDLED_SKILLS.find((skill) => skill.name === name)?.text;
}
