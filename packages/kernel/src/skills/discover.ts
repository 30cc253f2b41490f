/**
 * Finds the skills in every location, in precedence order, and keeps the first of each name: a
 * workspace skill replaces a user one of the same name, which replaces a bundled one. A folder
 * that is not a valid skill is skipped with a warning naming it and the problem; nothing here
 * throws for what a folder holds.
 */
import { existsSync } from 'node:fs';
import { compareCodePoints } from '@oxydra/types';
import { BUNDLED_SKILLS } from './bundled/index.js';
import type { Skipped } from './folder-skills.js';
import { loadYaml, YamlNotLoaded } from './front-matter.js';
import type { SkillLocation } from './locations.js';
import { parseSkill, type Skill } from './skill.js';

type FolderReaders = typeof import('./folder-skills.js');
let readers: FolderReaders | undefined;

/**
 * Loads what reads skill and program folders (and the YAML parser their front matter may need),
 * once. Like the parser, it is not loaded while no tier folder exists: a run whose only skills
 * are the bundled ones does not load the folder, program and safe-read modules. Callers that may
 * meet a folder await this first; discovery before it marks such a folder pending.
 */
export async function loadSkillReaders(): Promise<void> {
  // The readers first: once the parser is loaded (yamlLoaded), they are too.
  readers ??= await import('./folder-skills.js');
  await loadYaml();
}

export function skillReadersLoaded(): boolean {
  return readers !== undefined;
}

export interface Discovery {
  /** The skills in force, one per name, sorted by name. */
  skills: Skill[];
  /** Skills hidden by one of the same name in a higher tier. */
  shadowed: Skill[];
  /** A folder or front matter was met before its readers loaded (loadSkillReaders): look again once they are. */
  pending: boolean;
}

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
    if (!readers) {
      // A folder met before its readers loaded: looked at again once they have.
      if (existsSync(location.path)) pending = true;
    } else if (location.tier === 'program') {
      found.push(...readers.programSkills(location.path, warn, skipped));
    } else found.push(...readers.folderSkills(location, warn, skipped));
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
