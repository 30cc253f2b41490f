/**
 * The kernel's skills, held. With no skill folder anywhere (the workspace's, the user's,
 * `[skills] dirs`, the installed programs), agents are offered the bundled skills from their
 * listing alone, and the catalog (discovery, the SKILL.md parser, the bodies) is built at the
 * first skill_load: a run that loads no skill does not load them. Where a folder exists, the
 * catalog is built when the kernel opens; where one appears later (looked for at most once a
 * second, as the catalog looks at its folders), its building starts then and it answers from
 * the first assembly after it is built, as a catalog picks up a new folder.
 */

import { defineTool } from '@oxydra/tools';
import { FreshLooks, type Tool } from '@oxydra/types';
import { z } from 'zod';
import type { OfferedSkill, SkillCatalog, SkillCatalogOptions } from './catalog.js';
import { BUNDLED_LISTING, type SkillLocation, skillFoldersExist, skillLocations } from './locations.js';

export class HeldSkills {
  readonly #options: SkillCatalogOptions;
  readonly #locations: readonly SkillLocation[];
  readonly #disabled: ReadonlySet<string>;
  readonly #looks = new FreshLooks<'folders', boolean>();
  #catalog: SkillCatalog | undefined;
  #building: Promise<SkillCatalog> | undefined;
  /** The catalog was built since the last refresh: assemblies made before it may lack its skills. */
  #arrived = false;

  /** Held skills, their catalog built at once when a skill folder exists. */
  static async open(options: SkillCatalogOptions): Promise<HeldSkills> {
    const skills = new HeldSkills(options);
    if (skills.#foldersExist()) await skills.catalog();
    return skills;
  }

  constructor(options: SkillCatalogOptions) {
    this.#options = options;
    this.#locations = skillLocations(options);
    this.#disabled = new Set(options.disabled ?? []);
  }

  /** The catalog, built on the first call. */
  catalog(): Promise<SkillCatalog> {
    this.#building ??= import('./catalog.js')
      .then(({ SkillCatalog }) => SkillCatalog.open(this.#options))
      .then(
        (catalog) => {
          this.#catalog = catalog;
          this.#arrived = true;
          return catalog;
        },
        (error: unknown) => {
          this.#building = undefined;
          throw error;
        },
      );
    return this.#building;
  }

  /** What a spawn asks before assembling: true when the skills offered may have changed. */
  refreshIfDue(): boolean {
    if (this.#catalog) {
      const changed = this.#catalog.refreshIfDue();
      if (!this.#arrived) return changed;
      this.#arrived = false;
      return true;
    }
    if (this.#looks.get('folders', () => this.#foldersExist())) {
      void this.catalog().catch((error: unknown) =>
        this.#options.warn(`skills: ${(error as Error).message}`),
      );
    }
    return false;
  }

  /** Whether any skill may be offered (skill_load is given only then). */
  any(): boolean {
    return this.#catalog ? this.#catalog.enabled().length > 0 : this.#bundled().length > 0;
  }

  /** What goes into a system prompt for an agent with these tools (catalog.ts `offered`). */
  offered(toolNames: ReadonlySet<string>): OfferedSkill[] {
    if (this.#catalog) return this.#catalog.offered(toolNames);
    // A bundled skill needs no tool: each is offered, as its listing words it.
    return this.#bundled().map(({ name, description }) => ({ name, description }));
  }

  #bundled() {
    return BUNDLED_LISTING.filter((skill) => !this.#disabled.has(skill.name));
  }

  #foldersExist(): boolean {
    return skillFoldersExist(this.#locations);
  }
}

/**
 * skill_load: progressive disclosure. The system prompt names each skill in one line; when the
 * model decides a task fits one, it calls skill_load and gets the instructions (SKILL.md without
 * front matter) and the list of the skill's files, then reads a file with `file`. Skills live in
 * `.oxydra/` and the user's configuration folder, which the file tools and the sandbox hide
 * (they hold configuration and secrets), so this tool is the only way to them — and it reads
 * nothing but regular files inside the skill's own folder.
 */
export const SKILL_LOAD_TOOL = 'skill_load';

export interface SkillLoadOptions {
  /** The catalog, built at the first call when it is not yet (HeldSkills, above). */
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
// `additionalProperties: false` in the definition). Built at the tool's first use, not at start-up.
const parameters = () =>
  z.object({
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
): OfferedSkill[] {
  if (!skills || !specs.some((spec) => spec.name === SKILL_LOAD_TOOL)) return [];
  return skills.offered(new Set(specs.map((spec) => spec.name)));
}

/** An assembled agent's tool names, for skill_load's `toolsOf`. */
export function toolNamesOf(
  assembly: { tools: { specs(): { name: string }[] } } | undefined,
): ReadonlySet<string> | undefined {
  return assembly ? new Set(assembly.tools.specs().map((spec) => spec.name)) : undefined;
}
