/** A skill folder's SKILL.md, read safely (a regular file inside the folder, capped) and parsed. */
import { formatBytes, MAX_SKILL_FILE_BYTES, readInside } from './safe-fs.js';
import { type ParsedSkill, parseSkill } from './skill.js';

export const SKILL_FILE = 'SKILL.md';

/** Throws an Error whose message completes "skipped <folder>: ...". */
export function readSkillFolder(dir: string, fallbackName: string): ParsedSkill {
  let file: ReturnType<typeof readInside>;
  try {
    file = readInside(dir, SKILL_FILE, MAX_SKILL_FILE_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`there is no ${SKILL_FILE}`);
    throw new Error(`${SKILL_FILE}: ${(error as Error).message}`);
  }
  if (file.truncated) {
    throw new Error(
      `${SKILL_FILE} is ${formatBytes(file.size)}, over the ${formatBytes(MAX_SKILL_FILE_BYTES)} limit`,
    );
  }
  if (file.binary) throw new Error(`${SKILL_FILE} is not text`);
  return parseSkill(file.text, fallbackName);
}
