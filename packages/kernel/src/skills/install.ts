/**
 * `oxydra skills install|remove`: a skill folder (or a git URL) copied into the user's skills
 * folder, or the workspace's with `--workspace`. The copy is made beside the destination under a
 * hidden name, checked, then renamed into place, so a running kernel never sees half a skill.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { isInside } from '@oxydra/types/fs';
import { copyTree } from './copy-tree.js';
import { discoverSkills, loadSkillReaders } from './discover.js';
import { installDirectory, type SkillPlaces, skillLocations } from './locations.js';
import { readSkillFolder, SKILL_FILE } from './read-skill.js';
import { cleanRelative } from './safe-fs.js';
import { SKILL_NAME, type SkillTier } from './skill.js';
import { hideCredentials, isGitUrl, withSource } from './source.js';

export type SkillScope = 'user' | 'workspace';

export interface SkillInstallOptions extends SkillPlaces {
  scope: SkillScope;
  /** The skill's folder inside the source (a repository of several skills). */
  path?: string;
  /** A branch or tag, for a git URL. */
  branch?: string;
  /** Replace an installed skill of the same name. */
  force?: boolean;
  /** Where a relative source path starts (default: the current folder). */
  cwd?: string;
}

export interface SkillInstallResult {
  name: string;
  description: string;
  dir: string;
  replaced: boolean;
  /** Entries not copied (links leading out of the folder, FIFOs, devices). */
  skipped: string[];
}

export async function installSkill(
  source: string,
  options: SkillInstallOptions,
): Promise<SkillInstallResult> {
  await loadSkillReaders();
  const label = hideCredentials(source);
  // The install options carry the source's own (env, branch, cwd).
  return withSource(source, options, async (root) => {
    let dir = root;
    if (options.path !== undefined) {
      const rel = cleanRelative(options.path);
      if (rel === undefined) throw new UsageError(`--path ${options.path} is not a folder inside ${label}`);
      dir = join(root, rel);
      if (existsSync(dir) && !isInside(realpathSync(root), realpathSync(dir))) {
        throw new UsageError(`--path ${options.path} leads out of ${label} (a symbolic link)`);
      }
    }
    if (!existsSync(join(dir, SKILL_FILE))) {
      const found = skillFoldersIn(root);
      throw new UsageError(`no ${SKILL_FILE} in ${label}${options.path ? `/${options.path}` : ''}`, {
        hint:
          found.length > 0
            ? `skills in it: ${found.slice(0, 10).join(', ')}${found.length > 10 ? ', ...' : ''}; pick one with --path <folder>`
            : 'a skill is a folder with a SKILL.md (front matter name and description, then the instructions)',
      });
    }
    const fallback = options.path !== undefined ? basename(dir) : sourceName(source, dir);
    let name: string;
    let description: string;
    try {
      ({ name, description } = readSkillFolder(dir, fallback).skill);
    } catch (error) {
      throw new UsageError(`${label}: ${(error as Error).message}`);
    }
    const target = installDirectory(options, options.scope);
    const final = join(target, name);
    const replaced = existsSync(final);
    if (replaced && !options.force) {
      throw new UsageError(`a skill named "${name}" is already installed in ${target}`, {
        hint: '--force replaces it',
      });
    }
    await mkdir(target, { recursive: true });
    const suffix = randomBytes(4).toString('hex');
    const staged = join(target, `.${name}.install-${suffix}`);
    let skipped: string[];
    try {
      skipped = copyTree(dir, staged).skipped;
      readSkillFolder(staged, name);
    } catch (error) {
      await rm(staged, { recursive: true, force: true });
      throw new UsageError(`${label}: ${(error as Error).message}`);
    }
    if (replaced) {
      const old = join(target, `.${name}.old-${suffix}`);
      await rename(final, old);
      await rename(staged, final);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(staged, final);
    }
    return { name, description, dir: final, replaced, skipped };
  });
}

export interface SkillRemoveResult {
  name: string;
  tier: SkillTier;
  dir: string;
}

/** Removes a skill from the user's folder (else the workspace's), or only `scope`'s. */
export async function removeSkill(
  name: string,
  options: SkillPlaces & { scope?: SkillScope },
): Promise<SkillRemoveResult> {
  if (!SKILL_NAME.test(name)) throw new UsageError(`"${name}" is not a skill name`);
  await loadSkillReaders();
  const { skills, shadowed } = discoverSkills(skillLocations(options), () => {});
  const named = [...skills, ...shadowed].filter((skill) => skill.name === name);
  const removable = (['user', 'workspace'] as const)
    .filter((tier) => options.scope === undefined || options.scope === tier)
    .map((tier) => named.find((skill) => skill.tier === tier))
    .find((skill) => skill !== undefined);
  if (removable?.dir !== undefined) {
    await rm(removable.dir, { recursive: true, force: true });
    return { name, tier: removable.tier, dir: removable.dir };
  }
  const other = named[0];
  if (other?.tier === 'bundled') {
    throw new UsageError(`${name} is bundled with Oxydra and cannot be removed`, {
      hint: `turn it off with [skills] disabled = ["${name}"]`,
    });
  }
  if (other?.tier === 'program') {
    throw new UsageError(`${name} is the skill of program ${other.program?.name}`, {
      hint: `oxydra programs disable ${other.program?.name} (or remove it)`,
    });
  }
  if (other !== undefined) {
    throw new UsageError(
      `${name} is in ${other.tier === 'dirs' ? 'a [skills] dirs folder' : `the ${other.tier} folder`}: ${other.dir}`,
      {
        hint: 'remove it there',
      },
    );
  }
  throw new UsageError(
    `no skill named "${name}" is installed${options.scope ? ` in the ${options.scope} folder` : ''}`,
    {
      hint: 'oxydra skills list',
    },
  );
}

/** A clone's folder is called "repository": the URL's last part names the skill instead. */
function sourceName(source: string, dir: string): string {
  if (!isGitUrl(source)) return basename(dir);
  return (source.replace(/[/]+$/, '').split(/[/:]/).at(-1) ?? '').replace(/\.git$/, '');
}

/** Folders holding a SKILL.md, up to three levels down, for the "pick one" hint. */
function skillFoldersIn(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string, depth: number) => {
    if (depth > 3 || found.length >= 50) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      try {
        if (!statSync(path).isDirectory()) continue;
      } catch {
        continue;
      }
      const child = rel === '' ? name : `${rel}/${name}`;
      if (existsSync(join(path, SKILL_FILE))) found.push(child);
      else walk(path, child, depth + 1);
    }
  };
  walk(root, '', 1);
  return found;
}
