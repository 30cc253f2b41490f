/**
 * The skills shipped with Oxydra, compiled in: the CLI runs from one bundled folder, so files
 * beside the sources would not be found at run time. Each is a complete SKILL.md. The lowest
 * tier: a skill of the same name in the workspace, the user's folder, [skills] dirs or a program
 * replaces it; [skills] disabled turns one off.
 */
import { CODE_REVIEW } from './code-review.js';
import { DEBUGGING } from './debugging.js';
import { RELEASE_NOTES } from './release-notes.js';

export const BUNDLED_SKILLS: readonly { name: string; text: string }[] = [
  { name: 'code-review', text: CODE_REVIEW },
  { name: 'debugging', text: DEBUGGING },
  { name: 'release-notes', text: RELEASE_NOTES },
];
