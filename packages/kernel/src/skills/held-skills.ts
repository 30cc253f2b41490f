/**
 * The kernel's skills, held. With no skill folder anywhere (the workspace's, the user's,
 * `[skills] dirs`, the installed programs), agents are offered the bundled skills from their
 * listing alone, and the catalog (discovery, the SKILL.md parser, the bodies) is built at the
 * first skill_load: a run that loads no skill does not load them. Where a folder exists, the
 * catalog is built when the kernel opens; where one appears later (looked for at most once a
 * second, as the catalog looks at its folders), its building starts then and it answers from
 * the first assembly after it is built, as a catalog picks up a new folder.
 */
import { FreshLooks } from '@oxydra/types';
import type { SkillCatalog, SkillCatalogOptions } from './catalog.js';
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
  offered(toolNames: ReadonlySet<string>): { name: string; description: string }[] {
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
