/**
 * `skills install|remove` on real folders: a skill copied into the user's folder (XDG_CONFIG_HOME)
 * or the workspace's, from a folder or a local git repository (file:// URL, offline), one skill
 * picked out of a repository of several, links leading out left behind, a name already taken
 * refused unless forced; remove refuses bundled and program skills with what to do instead.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { UsageError } from '@oxydra/types';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installSkill, removeSkill, SkillCatalog } from '../src/exports/skills.js';
import { loadSkillReaders } from '../src/skills/discover.js';
import { gitRepository } from './skill-helpers.js';

// These build catalogs directly; a kernel loads the YAML parser itself (skills-front-matter.test.ts).
beforeAll(loadSkillReaders);

const FIXTURES = fileURLToPath(new URL('./fixtures/skills/', import.meta.url));

let scratch: TempWorkspace;
let root: string;
let workspace: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-skill-install-' });
  root = scratch.dir;
  workspace = join(root, 'workspace');
  mkdirSync(workspace);
  env = { HOME: root, XDG_CONFIG_HOME: join(root, 'config'), PATH: process.env.PATH };
});
afterEach(() => scratch.cleanup());

const places = () => ({ workspace, env });
const listed = () =>
  new SkillCatalog({ ...places(), warn: () => {} }).all().map((skill) => `${skill.name}:${skill.tier}`);

describe('skills install', () => {
  it('copies a folder into the user folder, or the workspace one, and refuses a taken name unless forced', async () => {
    const result = await installSkill(join(FIXTURES, 'changelog-entry'), { ...places(), scope: 'user' });
    expect(result).toMatchObject({
      name: 'changelog-entry',
      dir: join(root, 'config', 'oxydra', 'skills', 'changelog-entry'),
      replaced: false,
      skipped: [],
    });
    expect(readFileSync(join(result.dir, 'references', 'format.md'), 'utf8')).toContain('skill-format-v2');
    expect(listed()).toContain('changelog-entry:user');

    const again = installSkill(join(FIXTURES, 'changelog-entry'), { ...places(), scope: 'user' });
    await expect(again).rejects.toThrow(UsageError);
    await expect(again).rejects.toThrow(/a skill named "changelog-entry" is already installed/);
    const forced = await installSkill(join(FIXTURES, 'changelog-entry'), {
      ...places(),
      scope: 'user',
      force: true,
    });
    expect(forced.replaced).toBe(true);

    const local = await installSkill(join(FIXTURES, 'changelog-entry'), { ...places(), scope: 'workspace' });
    expect(local.dir).toBe(join(workspace, '.oxydra', 'skills', 'changelog-entry'));
    expect(listed()).toContain('changelog-entry:workspace');
    // Nothing half-made is left beside them.
    expect(
      execFileSync('ls', ['-A', join(workspace, '.oxydra', 'skills')], { encoding: 'utf8' }).trim(),
    ).toBe('changelog-entry');
  });

  it('installs from a git URL (file://), picking one skill of several with path', async () => {
    const url = gitRepository(join(root, 'repo'), {
      'README.md': 'a collection',
      'skills/alpha/SKILL.md': '---\nname: alpha\ndescription: the first\n---\nAlpha body.',
      'skills/beta/SKILL.md': '---\nname: beta\ndescription: the second\n---\nBeta body.',
    });
    const nothing = installSkill(url, { ...places(), scope: 'user' });
    await expect(nothing).rejects.toThrow(/no SKILL.md in file:\/\//);
    await expect(nothing).rejects.toMatchObject({
      hint: expect.stringContaining('skills/alpha, skills/beta'),
    });
    const beta = await installSkill(url, { ...places(), scope: 'user', path: 'skills/beta' });
    expect(beta.name).toBe('beta');
    expect(existsSync(join(beta.dir, '.git'))).toBe(false);
    expect(listed()).toContain('beta:user');
    const missing = installSkill(`file://${join(root, 'no-such-repo')}`, { ...places(), scope: 'user' });
    await expect(missing).rejects.toThrow(/git clone file:\/\/.* failed:/);
  });

  it('names a single-skill repository after it when SKILL.md has no name, and leaves links out', async () => {
    const outside = join(root, 'secret.txt');
    writeFileSync(outside, 'secret');
    const source = join(root, 'plain');
    mkdirSync(source);
    writeFileSync(join(source, 'SKILL.md'), '---\ndescription: no name here\n---\nBody');
    symlinkSync(outside, join(source, 'leak.txt'));
    const result = await installSkill(source, { ...places(), scope: 'user' });
    expect(result.name).toBe('plain');
    expect(result.skipped).toEqual(['leak.txt']);
    expect(existsSync(join(result.dir, 'leak.txt'))).toBe(false);
  });

  it('refuses a folder that is not a valid skill, copying nothing', async () => {
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'SKILL.md'), '---\nname: Bad Name\ndescription: d\n---\n');
    await expect(installSkill(bad, { ...places(), scope: 'user' })).rejects.toThrow(
      /bad: name "Bad Name" is not a skill name/,
    );
    expect(existsSync(join(root, 'config', 'oxydra', 'skills'))).toBe(false);
    await expect(installSkill(join(root, 'nowhere'), { ...places(), scope: 'user' })).rejects.toThrow(
      /no folder at/,
    );
  });
});

describe('skills remove', () => {
  it('removes the user copy first, then the workspace one, and explains what it cannot remove', async () => {
    await installSkill(join(FIXTURES, 'haiku-writer'), { ...places(), scope: 'user' });
    cpSync(join(FIXTURES, 'haiku-writer'), join(workspace, '.oxydra', 'skills', 'haiku-writer'), {
      recursive: true,
    });
    expect(await removeSkill('haiku-writer', places())).toMatchObject({ tier: 'user' });
    expect(listed()).toContain('haiku-writer:workspace');
    expect(await removeSkill('haiku-writer', { ...places(), scope: 'workspace' })).toMatchObject({
      tier: 'workspace',
    });
    expect(listed().some((entry) => entry.startsWith('haiku-writer'))).toBe(false);

    await expect(removeSkill('code-review', places())).rejects.toMatchObject({
      message: 'code-review is bundled with Oxydra and cannot be removed',
      hint: 'turn it off with [skills] disabled = ["code-review"]',
    });
    await expect(removeSkill('nope', places())).rejects.toThrow('no skill named "nope" is installed');
    await expect(removeSkill('../etc', places())).rejects.toThrow('"../etc" is not a skill name');
  });
});
