/**
 * What loading a skill reads: its body (SKILL.md without the front matter), the files beside it
 * and one of those files. Read from disk at each load, so an edited body is seen at once; for a
 * bundled skill, from the compiled-in text.
 */
import { bundledText } from './discover.js';
import { readSkillFolder, SKILL_FILE } from './read-skill.js';
import { type FileText, type ListedFile, listInside, MAX_RESOURCE_BYTES, readInside } from './safe-fs.js';
import { parseSkill, type Skill } from './skill.js';

/** The body as it is now; throws an Error (one line) when the skill can no longer be read. */
export function skillBody(skill: Skill): string {
  if (skill.dir === undefined) return parseSkill(bundledText(skill.name) ?? '', skill.name).body;
  return readSkillFolder(skill.dir, skill.name).body;
}

/** The skill's other files (SKILL.md left out), capped; none for a bundled skill. */
export function skillFiles(skill: Skill): { files: ListedFile[]; more: number } {
  if (skill.dir === undefined) return { files: [], more: 0 };
  try {
    return listInside(skill.dir, new Set([SKILL_FILE]));
  } catch {
    return { files: [], more: 0 };
  }
}

/** One file of the skill by its relative path; throws an Error (one line) when refused or absent. */
export function skillResource(skill: Skill, file: string): FileText {
  if (skill.dir === undefined) throw new Error(`${skill.name} is bundled with Oxydra and has no other files`);
  try {
    return readInside(skill.dir, file, MAX_RESOURCE_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`${skill.name} has no file "${file}"`);
    if (code === 'EISDIR')
      throw new Error(`"${file}" is a folder; the skill's files are listed when it is loaded`);
    throw new Error((error as Error).message);
  }
}
