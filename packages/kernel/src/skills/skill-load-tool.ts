/**
 * skill_load: progressive disclosure. The system prompt names each skill in one line; when the
 * model decides a task fits one, it calls skill_load and gets the instructions (SKILL.md without
 * front matter) and the list of the skill's files, then reads a file with `file`. Skills live in
 * `.oxydra/` and the user's configuration folder, which the file tools and the sandbox hide
 * (they hold configuration and secrets), so this tool is the only way to them — and it reads
 * nothing but regular files inside the skill's own folder.
 */
import { defineTool } from '@oxydra/tools';
import type { Tool } from '@oxydra/types';
import { z } from 'zod';
import type { SkillCatalog } from './catalog.js';
import type { HeldSkills } from './held-skills.js';

export const SKILL_LOAD_TOOL = 'skill_load';

export interface SkillLoadOptions {
  /** The catalog, built at the first call when it is not yet (held-skills.ts). */
  catalog: () => Promise<SkillCatalog>;
  /** The calling agent's tool names (to say which tools a skill names that it lacks). */
  toolsOf: (agentId: string | undefined) => ReadonlySet<string> | undefined;
}

/** The tool, or none when no skill may be offered (so an agent without skills is not told of one). */
export function skillTools(skills: HeldSkills | undefined, toolsOf: SkillLoadOptions['toolsOf']): Tool[] {
  if (!skills?.any()) return [];
  return [skillLoadTool({ catalog: () => skills.catalog(), toolsOf })];
}

// Not strict: unknown arguments are dropped, as for every tool (a strict schema costs every call
// `additionalProperties: false` in the definition).
const parameters = z.object({
  name: z.string().min(1),
  file: z.string().min(1).optional(),
  // A long text's page ends with the call that reads on, offset included.
  offset: z.number().int().min(1).optional(),
  arguments: z.string().optional().describe('for instructions taking $ARGUMENTS'),
});

export function skillLoadTool(options: SkillLoadOptions): Tool {
  return defineTool({
    name: SKILL_LOAD_TOOL,
    description: "Load a listed skill's instructions and file list, or one of its files.",
    parameters,
    safety: 'read_only',
    async execute(args, context) {
      // What finds, reads and pages a skill loads at the first skill_load, not with the tool.
      const [catalog, { loadSkill }] = await Promise.all([options.catalog(), import('./skill-reading.js')]);
      return loadSkill(catalog, args, options.toolsOf(context.agentId));
    },
  });
}

/**
 * The skills named in an agent's system prompt: none unless it has skill_load (an allowlist
 * without it means no skills), and only those whose program's tools it has.
 */
export function promptSkills(
  skills: HeldSkills | undefined,
  specs: readonly { name: string }[],
): { name: string; description: string }[] {
  if (!skills || !specs.some((spec) => spec.name === SKILL_LOAD_TOOL)) return [];
  return skills.offered(new Set(specs.map((spec) => spec.name)));
}

/** An assembled agent's tool names, for skill_load's `toolsOf`. */
export function toolNamesOf(
  assembly: { tools: { specs(): { name: string }[] } } | undefined,
): ReadonlySet<string> | undefined {
  return assembly ? new Set(assembly.tools.specs().map((spec) => spec.name)) : undefined;
}
