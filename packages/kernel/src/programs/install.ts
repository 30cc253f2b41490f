/**
 * `oxydra programs install <folder or git URL>`: checks the program (manifest, skill, host
 * requirements) before touching anything, then installs atomically. Each version is copied whole
 * into `programs/.versions/<name>-<version>-<random>/` and checked again there; only then does
 * `programs/<name>` move to it, by renaming a freshly made link over the old one (rename(2)
 * replaces atomically), so an agent reading the program sees the old version or the new, never
 * a mix; the old version's folder is removed last. A failure before the switch removes the new
 * copy and leaves the old version in use.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, realpath, rename, rm, symlink, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '@oxydra/types';
import { isInside } from '@oxydra/types/fs';
import { copyTree } from '../skills/copy-tree.js';
import { loadYaml } from '../skills/front-matter.js';
import { type ProgramsPlace, programsDirectory } from '../skills/locations.js';
import { readSkillFolder } from '../skills/read-skill.js';
import { hideCredentials, withSource } from '../skills/source.js';
import { checkHostRequirements } from './host-tools.js';
import { VERSIONS_DIR } from './layout.js';
import { type ProgramManifest, readManifest } from './manifest.js';
import { readProgramsState, writeProgramsState } from './program-state.js';

export interface ProgramInstallOptions extends ProgramsPlace {
  /** A branch or tag, for a git URL. */
  branch?: string;
  /**
   * Called once the new version is complete in its folder, before the switch (tests use it to
   * look at the old version, or to fail the install there).
   */
  beforeSwitch?: (staged: string) => void | Promise<void>;
}

export interface ProgramInstallResult {
  name: string;
  version: string;
  /** The version replaced, when this was an upgrade (or a reinstall). */
  previousVersion?: string;
  enabled: boolean;
  /** Optional host tools not found: the program works without them, degraded. */
  missingOptional: string[];
  /** Entries not copied (links leading out of the folder, FIFOs, devices). */
  skipped: string[];
}

export async function installProgram(
  source: string,
  options: ProgramInstallOptions,
): Promise<ProgramInstallResult> {
  await loadYaml();
  const label = hideCredentials(source);
  // The install options carry the source's own (env, branch, cwd).
  return withSource(source, options, async (dir) => {
    const manifest = checkProgram(dir, label);
    const host = checkHostRequirements(manifest, options.env);
    if (host.missingRequired.length > 0) {
      const names = host.missingRequired.map((name) => `"${name}"`).join(', ');
      throw new UsageError(
        `program ${manifest.name} needs the host tool${host.missingRequired.length > 1 ? 's' : ''} ${names}, not found on PATH`,
        { hint: `install ${host.missingRequired.join(', ')}, then install the program again` },
      );
    }
    const programsDir = programsDirectory(options);
    const versions = join(programsDir, VERSIONS_DIR);
    await mkdir(versions, { recursive: true });
    const link = join(programsDir, manifest.name);
    const previous = await currentVersion(link);
    const staged = await mkdtemp(join(versions, `${manifest.name}-${manifest.version}-`));
    let skipped: string[];
    try {
      skipped = copyTree(dir, staged).skipped;
      const copied = checkProgram(staged, label);
      if (copied.name !== manifest.name || copied.version !== manifest.version) {
        throw new UsageError(`${label} changed while it was being copied`);
      }
      await options.beforeSwitch?.(staged);
    } catch (error) {
      await rm(staged, { recursive: true, force: true });
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${label}: ${(error as Error).message}`);
    }
    const fresh = join(programsDir, `.${manifest.name}.link-${randomBytes(4).toString('hex')}`);
    await symlink(relative(programsDir, staged), fresh);
    try {
      await rename(fresh, link);
    } catch (error) {
      await unlink(fresh).catch(() => {});
      await rm(staged, { recursive: true, force: true });
      throw error;
    }
    await syncDirectory(programsDir);
    const state = readProgramsState(programsDir);
    const enabled = state.programs[manifest.name]?.enabled ?? true;
    state.programs[manifest.name] = {
      enabled,
      source: label,
      installed_at: new Date().toISOString(),
      missing_optional: host.missingOptional,
    };
    await writeProgramsState(programsDir, state);
    if (previous?.target !== undefined && previous.target !== (await realpath(staged))) {
      if (isInside(await realpath(versions), previous.target))
        await rm(previous.target, { recursive: true, force: true });
    }
    return {
      name: manifest.name,
      version: manifest.version,
      ...(previous?.version !== undefined ? { previousVersion: previous.version } : {}),
      enabled,
      missingOptional: host.missingOptional,
      skipped,
    };
  });
}

/** The manifest and skill of a program folder, or a UsageError naming the problem. */
function checkProgram(dir: string, label: string): ProgramManifest {
  let manifest: ProgramManifest;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    throw new UsageError(`${label} is not a program: ${(error as Error).message}`, {
      hint: 'a program is a folder with program.toml ([program] name, version, description) and SKILL.md',
    });
  }
  try {
    readSkillFolder(dir, manifest.name);
  } catch (error) {
    throw new UsageError(`program ${manifest.name}: ${(error as Error).message}`);
  }
  return manifest;
}

/** The version `programs/<name>` points at now (its real folder), if any. */
async function currentVersion(link: string): Promise<{ target?: string; version?: string } | undefined> {
  const stat = await lstat(link).catch(() => undefined);
  if (!stat) return undefined;
  if (!stat.isSymbolicLink()) {
    throw new UsageError(`${link} is a folder Oxydra did not install`, {
      hint: 'move it away, then install the program again',
    });
  }
  const target = await realpath(link).catch(() => undefined);
  let version: string | undefined;
  try {
    version = readManifest(link).version;
  } catch {
    // a broken earlier install: replaced all the same
  }
  return { ...(target !== undefined ? { target } : {}), ...(version !== undefined ? { version } : {}) };
}

/** The rename is durable only once the folder's entry is on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
