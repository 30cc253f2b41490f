/**
 * Programs on real folders: an Oxios program (program.toml + SKILL.md) installed into the user's
 * folder (XDG_CONFIG_HOME); a missing required host tool refused with its name, a missing
 * optional one recorded; upgrades atomic (the old version is what readers see until the new one
 * is complete, a failed upgrade leaves it in use); install from a local git repository; enable,
 * disable, remove; the program's skill offered only to agents with its tools.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { UsageError } from '@oxydra/types';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  installProgram,
  listPrograms,
  parseManifest,
  programsDirectory,
  removeProgram,
  SkillCatalog,
  setProgramEnabled,
} from '../src/exports/skills.js';
import { loadSkillReaders } from '../src/skills/discover.js';
import { commitAll, gitRepository } from './skill-helpers.js';

// These build catalogs directly; a kernel loads the YAML parser itself (skills-front-matter.test.ts).
beforeAll(loadSkillReaders);

const FIXTURE = fileURLToPath(new URL('./fixtures/programs/repo-digest', import.meta.url));

let scratch: TempWorkspace;
let root: string;
let env: NodeJS.ProcessEnv;
let programs: string;

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-programs-' });
  root = scratch.dir;
  env = { HOME: root, XDG_CONFIG_HOME: join(root, 'config'), PATH: process.env.PATH };
  programs = programsDirectory({ env, cwd: root });
});
afterEach(() => scratch.cleanup());

/** A copy of the fixture with changes: `version`, a manifest text replacement, a SKILL.md body. */
function variant(
  name: string,
  edit: { version?: string; manifest?: [string, string]; body?: string } = {},
): string {
  const dir = join(root, 'sources', name);
  cpSync(FIXTURE, dir, { recursive: true });
  let manifest = readFileSync(join(dir, 'program.toml'), 'utf8');
  if (edit.version) manifest = manifest.replace('version = "1.0.0"', `version = "${edit.version}"`);
  if (edit.manifest) manifest = manifest.replace(...edit.manifest);
  writeFileSync(join(dir, 'program.toml'), manifest);
  if (edit.body) {
    const skill = readFileSync(join(dir, 'SKILL.md'), 'utf8');
    writeFileSync(join(dir, 'SKILL.md'), skill.replace(/# Repository digest[^\n]*/, edit.body));
  }
  return dir;
}

const liveSkill = () => readFileSync(join(programs, 'repo-digest', 'SKILL.md'), 'utf8');
const versions = () => readdirSync(join(programs, '.versions'));

describe('program.toml', () => {
  it('reads an Oxios manifest, ignoring tables Oxydra does not use', () => {
    expect(parseManifest(readFileSync(join(FIXTURE, 'program.toml'), 'utf8'))).toEqual({
      name: 'repo-digest',
      version: '1.0.0',
      description: "Summarises a repository's recent history into a digest",
      author: 'example',
      requiresTools: ['read', 'exec'],
      hostRequired: ['git'],
      hostOptional: ['oxydra-test-absent-pager'],
    });
  });

  it.each([
    [
      '[program]\nname = "x"\ndescription = "d"\n',
      'program.toml: program.version is missing or of the wrong type',
    ],
    [
      '[program]\nname = "x"\nversion = "1.0"\ndescription = "d"\n',
      'program.version must be a semantic version',
    ],
    ['[program]\nname = "X y"\nversion = "1.0.0"\ndescription = "d"\n', 'program.name must be lowercase'],
    [
      '[program]\nname = "x"\nversion = "1.0.0"\ndescription = "d"\n[host_requirements]\nrequired = ["/bin/sh"]\n',
      'host_requirements.required.0 must be an executable name, not a path',
    ],
    ['[program\n', 'program.toml is not valid TOML'],
  ])('refuses %j', (text, message) => {
    expect(() => parseManifest(text)).toThrow(message);
  });
});

describe('programs install', () => {
  it('refuses a program whose required host tool is missing, naming it, and installs nothing', async () => {
    const source = variant('needs-tool', {
      manifest: ['required = ["git"]', 'required = ["git", "oxydra-test-no-such-tool"]'],
    });
    const install = installProgram(source, { env });
    await expect(install).rejects.toThrow(UsageError);
    await expect(install).rejects.toThrow(
      'program repo-digest needs the host tool "oxydra-test-no-such-tool", not found on PATH',
    );
    expect(existsSync(join(programs, 'repo-digest'))).toBe(false);
    expect(listPrograms({ env })).toEqual([]);
  });

  it('installs with a missing optional host tool, recording it, and offers its skill with the tools it needs', async () => {
    const result = await installProgram(FIXTURE, { env });
    expect(result).toMatchObject({ name: 'repo-digest', version: '1.0.0', enabled: true });
    expect(result.missingOptional).toEqual(['oxydra-test-absent-pager']);
    expect(result.previousVersion).toBeUndefined();
    const [listed] = listPrograms({ env });
    expect(listed).toMatchObject({
      name: 'repo-digest',
      manifest: { version: '1.0.0' },
      record: { enabled: true, missing_optional: ['oxydra-test-absent-pager'], source: FIXTURE },
    });
    expect(readlinkSync(join(programs, 'repo-digest'))).toMatch(/^\.versions\/repo-digest-1\.0\.0-/);

    const catalog = new SkillCatalog({ workspace: root, env, warn: () => {} });
    expect(catalog.get('repo-digest')).toMatchObject({
      tier: 'program',
      program: { name: 'repo-digest', version: '1.0.0', requiresTools: ['read', 'exec'] },
    });
    // Oxios's tool names stand for Oxydra's: read = file_read, exec = shell_exec.
    const offered = (tools: string[]) =>
      catalog.offered(new Set(tools)).some((skill) => skill.name === 'repo-digest');
    expect(offered(['file_read', 'shell_exec', 'skill_load'])).toBe(true);
    expect(offered(['file_read', 'skill_load'])).toBe(false);
  });

  it('upgrades atomically: readers see the old version until the new one is complete, then only the new', async () => {
    await installProgram(FIXTURE, { env });
    expect(liveSkill()).toContain('version one');
    const [first] = versions();
    let seenDuringUpgrade = '';
    let stagedComplete = false;
    const result = await installProgram(
      variant('v2', { version: '2.0.0', body: '# Repository digest (version two)' }),
      {
        env,
        beforeSwitch: (staged) => {
          seenDuringUpgrade = liveSkill();
          stagedComplete = readFileSync(join(staged, 'SKILL.md'), 'utf8').includes('version two');
        },
      },
    );
    expect(result).toMatchObject({ version: '2.0.0', previousVersion: '1.0.0' });
    expect(seenDuringUpgrade).toContain('version one');
    expect(stagedComplete).toBe(true);
    expect(liveSkill()).toContain('version two');
    // The old version's folder is gone; only the one in use remains.
    expect(versions()).toHaveLength(1);
    expect(versions()[0]).not.toBe(first);
    expect(versions()[0]).toMatch(/^repo-digest-2\.0\.0-/);
  });

  it('leaves the old version in use when an upgrade fails, before or after copying', async () => {
    await installProgram(FIXTURE, { env });
    const before = versions();
    const failing = installProgram(variant('v3', { version: '3.0.0' }), {
      env,
      beforeSwitch: () => {
        throw new Error('disk full');
      },
    });
    await expect(failing).rejects.toThrow('disk full');
    const broken = variant('broken', { version: '4.0.0' });
    writeFileSync(join(broken, 'SKILL.md'), '---\nname: Repo Digest\ndescription: d\n---\n');
    await expect(installProgram(broken, { env })).rejects.toThrow(
      'program repo-digest: name "Repo Digest" is not a skill name',
    );
    expect(liveSkill()).toContain('version one');
    expect(versions()).toEqual(before);
    expect(listPrograms({ env })[0]?.manifest?.version).toBe('1.0.0');
  });

  it('installs from a git URL (file://) and upgrades from a later commit', async () => {
    const repo = join(root, 'repo');
    cpSync(FIXTURE, repo, { recursive: true });
    const url = gitRepository(repo, {});
    expect((await installProgram(url, { env })).version).toBe('1.0.0');
    writeFileSync(
      join(repo, 'program.toml'),
      readFileSync(join(repo, 'program.toml'), 'utf8').replace('1.0.0', '1.1.0'),
    );
    commitAll(repo, 'release 1.1.0');
    const upgrade = await installProgram(url, { env });
    expect(upgrade).toMatchObject({ version: '1.1.0', previousVersion: '1.0.0' });
    expect(listPrograms({ env })[0]?.record.source).toBe(url);
    expect(existsSync(join(programs, 'repo-digest', '.git'))).toBe(false);
  });

  it('refuses a folder that is not a program, and one Oxydra did not install in the way', async () => {
    mkdirSync(join(root, 'empty'));
    await expect(installProgram(join(root, 'empty'), { env })).rejects.toThrow(
      /empty is not a program: there is no program.toml/,
    );
    mkdirSync(join(programs, 'repo-digest'), { recursive: true });
    await expect(installProgram(FIXTURE, { env })).rejects.toThrow(
      /repo-digest is a folder Oxydra did not install/,
    );
  });
});

describe('programs enable, disable, remove', () => {
  it('disables (skill no longer offered, kept installed), enables and removes', async () => {
    await installProgram(FIXTURE, { env });
    const catalog = new SkillCatalog({ workspace: root, env, warn: () => {} });
    expect(catalog.get('repo-digest')).toBeDefined();
    expect(await setProgramEnabled('repo-digest', false, { env })).toBe(true);
    expect(await setProgramEnabled('repo-digest', false, { env })).toBe(false);
    expect(catalog.refresh()).toBe(true);
    expect(catalog.get('repo-digest')).toBeUndefined();
    expect(listPrograms({ env })[0]?.record.enabled).toBe(false);
    // An upgrade keeps it disabled.
    expect((await installProgram(variant('v2', { version: '2.0.0' }), { env })).enabled).toBe(false);
    await setProgramEnabled('repo-digest', true, { env });
    expect(catalog.refresh()).toBe(true);
    expect(catalog.get('repo-digest')).toBeDefined();

    expect(await removeProgram('repo-digest', { env })).toEqual({ version: '2.0.0' });
    expect(existsSync(join(programs, 'repo-digest'))).toBe(false);
    expect(versions()).toEqual([]);
    expect(JSON.parse(readFileSync(join(programs, 'state.json'), 'utf8')).programs).toEqual({});
    await expect(removeProgram('repo-digest', { env })).rejects.toThrow(
      'no program "repo-digest" is installed',
    );
    await expect(setProgramEnabled('nope', true, { env })).rejects.toThrow(UsageError);
  });
});
