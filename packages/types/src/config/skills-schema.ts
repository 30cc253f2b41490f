/** `[skills]`: Agent Skills (SKILL.md folders) offered to agents by name and description. */
import { z } from 'zod';
import { once } from '../once.js';

export const skillsSchema = once(() =>
  z.strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('offer skills (names and descriptions in the system prompt, skill_load to read one)'),
    dirs: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'more folders of skills, searched after the workspace and user ones (relative to the workspace)',
      ),
    disabled: z.array(z.string().min(1)).default([]).describe('skill names never offered'),
  }),
);
