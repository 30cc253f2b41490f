/**
 * The skills a kernel offers, discovered once and kept. Before each assembly the kernel asks
 * `refresh()`, which looks only at the modification times of the tier folders (a handful of
 * stats): installing, removing, upgrading, enabling or disabling a skill or program adds, renames
 * or removes an entry there, so a gateway sees `oxydra skills install` on its agents from a second later,
 * without a restart. Editing an existing SKILL.md in place changes no tier folder: its body is read when
 * it is loaded, so that is live, while a new name or description shows from the next kernel.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FRESH_MS, type Provenance } from '@oxydra/types';
import { STATE_FILE } from '../programs/layout.js';
import { type Discovery, discoverSkills, loadSkillReaders } from './discover.js';
import { type SkillLocation, type SkillPlaces, skillFoldersExist, skillLocations } from './locations.js';
import { promptDescription, type Skill, skillProvenance } from './skill.js';
import { oxydraToolName } from './tool-aliases.js';

/** A skill as the system prompt names it; `from`: the workspace's folder it is in (skillProvenance). */
export interface OfferedSkill {
  name: string;
  description: string;
  from?: Provenance;
}

export interface SkillCatalogOptions extends SkillPlaces {
  /** `[skills] disabled`: names never offered. */
  disabled?: readonly string[];
  warn: (message: string) => void;
}

export class SkillCatalog {
  readonly locations: readonly SkillLocation[];
  readonly #disabled: ReadonlySet<string>;
  readonly #warn: (message: string) => void;
  #signature: string;
  #discovery: Discovery;
  /** When the tier folders were last looked at (performance.now()). */
  #lookedAt: number;

  /**
   * A catalog. The YAML parser loads first when a skills or programs folder exists; without one
   * (only the bundled skills, which need no parser) it is not loaded at all, so neither a short
   * run nor an idle gateway pays for it (~200 KB of code, ~3 MB of memory). A skill installed
   * later whose front matter needs the parser starts its loading at the next refresh and is
   * offered from the first agent assembled after it loaded (front matter of plain `key: text`
   * lines, the common case, needs no parser and is offered at once).
   */
  static async open(options: SkillCatalogOptions): Promise<SkillCatalog> {
    if (skillFoldersExist(skillLocations(options))) await loadSkillReaders();
    return new SkillCatalog(options);
  }

  constructor(options: SkillCatalogOptions) {
    this.locations = skillLocations(options);
    this.#disabled = new Set(options.disabled ?? []);
    this.#warn = options.warn;
    this.#signature = this.#sign();
    // The first spawn looks again (a folder filled right after the kernel opened).
    this.#lookedAt = Number.NEGATIVE_INFINITY;
    this.#discovery = this.#discover();
  }

  /** `refresh` trusting a look younger than FRESH_MS: what a spawn asks. */
  refreshIfDue(): boolean {
    return this.refresh({ maxAgeMs: FRESH_MS });
  }

  /**
   * Rediscovers when a tier folder changed since the last look; true when it did. With
   * `maxAgeMs` (the kernel's spawns: FRESH_MS) a look younger than that is trusted.
   */
  refresh(options: { maxAgeMs?: number } = {}): boolean {
    const now = performance.now();
    if (options.maxAgeMs !== undefined && now - this.#lookedAt < options.maxAgeMs) return false;
    this.#lookedAt = now;
    const signature = this.#sign();
    if (signature === this.#signature) return false;
    this.#signature = signature;
    this.#discovery = this.#discover();
    return true;
  }

  #discover(): Discovery {
    const discovery = discoverSkills(this.locations, this.#warn);
    if (discovery.pending) {
      // A folder, or front matter needing the parser, met before their readers loaded (a tier
      // folder made after the kernel opened): its skills join from the first agent after they
      // have, looked for again until then.
      this.#signature = '';
      this.#lookedAt = Number.NEGATIVE_INFINITY;
      void loadSkillReaders().catch((error: unknown) => this.#warn(`skills: ${(error as Error).message}`));
    }
    return discovery;
  }

  /** Every skill in force (one per name), disabled ones included. */
  all(): Skill[] {
    return this.#discovery.skills;
  }

  /** Skills hidden by a higher tier's skill of the same name. */
  shadowed(): Skill[] {
    return this.#discovery.shadowed;
  }

  isDisabled(name: string): boolean {
    return this.#disabled.has(name);
  }

  /** The skills that may be offered at all: not disabled. */
  enabled(): Skill[] {
    return this.#discovery.skills.filter((skill) => !this.#disabled.has(skill.name));
  }

  /** An enabled skill by name. */
  get(name: string): Skill | undefined {
    return this.#disabled.has(name) ? undefined : this.#discovery.skills.find((skill) => skill.name === name);
  }

  /**
   * What goes into an agent's system prompt: the enabled skills whose program's required tools
   * the agent has all of, as name and a one-line description.
   */
  offered(toolNames: ReadonlySet<string>): OfferedSkill[] {
    return this.enabled()
      .filter((skill) => missingTools(skill, toolNames).length === 0)
      .map((skill) => {
        const from = skillProvenance(skill, null);
        return {
          name: skill.name,
          description: promptDescription(skill.description),
          ...(from ? { from } : {}),
        };
      });
  }

  /** Each tier folder's modification time (and the programs' state file's), or that it is absent. */
  #sign(): string {
    const paths = this.locations.map((location) => location.path);
    const programs = this.locations.find((location) => location.tier === 'program');
    if (programs) paths.push(join(programs.path, STATE_FILE));
    return paths
      .map((path) => {
        const stat = statSync(path, { throwIfNoEntry: false });
        return stat ? `${stat.mtimeMs}:${stat.ino}` : '-';
      })
      .join('|');
  }
}

/**
 * The tools a program's skill needs that the agent does not have (none for a plain skill); a
 * name another tool uses (Oxios's `read`, `exec`) counts as the Oxydra tool it stands for.
 */
export function missingTools(skill: Skill, toolNames: ReadonlySet<string>): string[] {
  return (skill.program?.requiresTools ?? []).filter((name) => !toolNames.has(oxydraToolName(name)));
}
