/**
 * Where skills are searched, highest precedence first: the workspace's `.oxydra/skills/`, the
 * user's `<config>/skills/` (XDG_CONFIG_HOME honoured), each `[skills] dirs` folder (relative to
 * the workspace), the installed programs, then the bundled ones (compiled in, no folder).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userConfigDirectory, workspaceConfigDirectory } from '@oxydra/config';
import { isInside } from '@oxydra/types/fs';
import type { SkillTier } from './skill.js';

export interface SkillLocation {
  tier: Exclude<SkillTier, 'bundled'>;
  path: string;
  /**
   * The workspace, for a folder of it (its `.oxydra/skills`, a `dirs` entry spelled inside it):
   * its real path must stay inside too, or a repository's link would read skills from anywhere.
   */
  within?: string;
}

export interface SkillPlaces {
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** `[skills] dirs`. */
  dirs?: readonly string[];
}

export interface ProgramsPlace {
  env: NodeJS.ProcessEnv;
  /** The workspace (only to locate configuration; programs are the user's, for every workspace). */
  cwd?: string;
}

/**
 * Where installed programs live (the skill tier `program`): `<config>/programs`, honouring
 * XDG_CONFIG_HOME. What is inside (versions, state) is programs/layout.ts's.
 */
export function programsDirectory(place: ProgramsPlace): string {
  return join(userConfigDirectory({ env: place.env, cwd: place.cwd ?? process.cwd() }), 'programs');
}

export function skillLocations(places: SkillPlaces): SkillLocation[] {
  const located = { cwd: places.workspace, env: places.env };
  const workspace = resolve(places.workspace);
  return [
    { tier: 'workspace', path: join(workspaceConfigDirectory(located), 'skills'), within: workspace },
    { tier: 'user', path: join(userConfigDirectory(located), 'skills') },
    ...(places.dirs ?? []).map((dir) => {
      const path = resolve(workspace, dir);
      // Spelled outside (`../team-skills`): a folder you named; the workspace's are held until trusted.
      return { tier: 'dirs' as const, path, ...(isInside(workspace, path) ? { within: workspace } : {}) };
    }),
    { tier: 'program', path: programsDirectory(located) },
  ];
}

/** The folder `oxydra skills install` writes to. */
export function installDirectory(places: SkillPlaces, scope: 'user' | 'workspace'): string {
  return skillLocations(places).find((location) => location.tier === scope)!.path;
}

/** Whether any tier folder exists (a place skills or programs beside the bundled ones live). */
export function skillFoldersExist(locations: readonly SkillLocation[]): boolean {
  return locations.some((location) => statSync(location.path, { throwIfNoEntry: false })?.isDirectory());
}

/**
 * The bundled skills' front matter, apart from their bodies: what the system prompt names before
 * any skill is read. A kernel with no skill folder offers the bundled skills from this list alone
 * (held-skills.ts) and loads the bodies and the SKILL.md parser at the first skill_load. Each
 * body module (bundled/*.ts) begins its SKILL.md with `bundledFrontMatter(name)`, so a name or
 * description lives here only. Sorted by name, as the catalog lists skills. It is kept in this
 * module, which every kernel loads anyway, rather than in a file of its own under bundled/.
 */
export interface BundledListing {
  name: string;
  /** One line of plain text (read without the YAML parser), at most 1024 characters. */
  description: string;
}

export const BUNDLED_LISTING: readonly BundledListing[] = [
  {
    name: 'code-review',
    description:
      'Review a change (uncommitted work, a branch, a commit, files) for bugs, security and missing tests; findings by severity.',
  },
  {
    name: 'debugging',
    description:
      'Find and fix the root cause of a bug, failing test or crash, and prove the fix with a test.',
  },
  {
    name: 'release-notes',
    description: 'Write release notes or a CHANGELOG entry from the git history between two versions.',
  },
];

/** The front matter block a bundled SKILL.md starts with. */
export function bundledFrontMatter(name: string): string {
  const listed = BUNDLED_LISTING.find((skill) => skill.name === name);
  if (!listed) throw new Error(`no bundled skill "${name}" in skills/locations.ts`);
  return `---\nname: ${listed.name}\ndescription: ${listed.description}\nlicense: Apache-2.0\n---\n`;
}
