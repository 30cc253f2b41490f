/**
 * Skills discovery on real folders: SKILL.md front matter as the Agent Skills format and other
 * tools write it (extra keys ignored, `allowed-tools` as a string or a list, a colon YAML
 * refuses), tiers in precedence order with one skill per name, bad skills skipped with a
 * warning naming the file and the problem, hostile folders (links out, FIFOs, huge files)
 * refused, and the catalog noticing a new skill by its folder's modification time.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSkill, SkillCatalog, skillBody, skillFiles, skillResource } from '../src/exports/skills.js';
import { loadSkillReaders } from '../src/skills/discover.js';

// These build catalogs directly; a kernel loads the YAML parser itself (skills-front-matter.test.ts).
beforeAll(loadSkillReaders);

const FIXTURES = fileURLToPath(new URL('./fixtures/skills/', import.meta.url));

let scratch: TempWorkspace;
let root: string;
let workspace: string;
let config: string;
let env: NodeJS.ProcessEnv;
let warnings: string[];

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-skills-' });
  root = scratch.dir;
  workspace = join(root, 'workspace');
  config = join(root, 'config');
  mkdirSync(join(workspace, '.oxydra', 'skills'), { recursive: true });
  env = { HOME: root, XDG_CONFIG_HOME: config, PATH: process.env.PATH };
  warnings = [];
});
afterEach(() => scratch.cleanup());

const catalog = (options: { dirs?: string[]; disabled?: string[] } = {}) =>
  new SkillCatalog({ workspace, env, warn: (message) => warnings.push(message), ...options });

function skill(dir: string, name: string, frontMatter: string, body = `Instructions of ${name}.`): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'SKILL.md'), `---\n${frontMatter}\n---\n\n${body}\n`);
  return folder;
}
const wsSkills = () => join(workspace, '.oxydra', 'skills');
const userSkills = () => join(config, 'oxydra', 'skills');

describe('SKILL.md', () => {
  it('reads the Agent Skills keys and ignores the keys other tools add', () => {
    const text = [
      '---',
      'name: pdf-tools',
      'description: >',
      '  Fill and merge PDF forms.',
      '  Use for any .pdf work.',
      'license: Apache-2.0',
      'compatibility: needs python3',
      'metadata: { author: someone, version: "2" }',
      'allowed-tools: [Read, "Bash(python3:*)"]',
      'argument-hint: <file.pdf>',
      'disable-model-invocation: false',
      'user-invocable: true',
      'model: some-model',
      'hooks: { PreToolUse: [] }',
      '---',
      '# PDF',
      'Body.',
    ].join('\n');
    const { skill: parsed, body } = parseSkill(text, 'folder-name');
    expect(parsed).toMatchObject({
      name: 'pdf-tools',
      description: 'Fill and merge PDF forms. Use for any .pdf work.',
      license: 'Apache-2.0',
      compatibility: 'needs python3',
      allowedTools: ['Read', 'Bash(python3:*)'],
      argumentHint: '<file.pdf>',
    });
    expect(body).toBe('# PDF\nBody.');
  });

  it('splits a Claude Code allowed-tools string, takes the folder name and the first paragraph when absent', () => {
    const { skill: parsed } = parseSkill(
      '---\nallowed-tools: Read, Grep Bash(git add:*), Bash(git status:*)\n---\n# Title\n\nTidies imports\nin a file.\n\nMore.',
      'tidy-imports',
    );
    expect(parsed.name).toBe('tidy-imports');
    expect(parsed.description).toBe('Tidies imports in a file.');
    expect(parsed.allowedTools).toEqual(['Read', 'Grep', 'Bash(git add:*)', 'Bash(git status:*)']);
  });

  it('reads front matter strict YAML refuses (an unquoted colon) as plain key: value lines', () => {
    const { skill: parsed } = parseSkill(
      '---\nname: haiku\ndescription: Use when: the user asks for a haiku\n---\nBody',
      'x',
    );
    expect(parsed.description).toBe('Use when: the user asks for a haiku');
  });

  it('reads a SKILL.md saved with Windows line endings and a byte order mark', () => {
    const { skill: parsed, body } = parseSkill(
      '\uFEFF---\r\nname: crlf\r\ndescription: saved on Windows\r\n---\r\nBody.\r\n',
      'x',
    );
    expect(parsed).toMatchObject({ name: 'crlf', description: 'saved on Windows' });
    expect(body).toBe('Body.\r\n');
  });

  it('takes Oxios args as arguments', () => {
    const { skill: parsed } = parseSkill(
      '---\nname: digest\ndescription: d\nargs:\n  days:\n    description: how far back\n    required: true\n  topic: what about\n---\n',
      'x',
    );
    expect(parsed.arguments).toEqual([
      { name: 'days', description: 'how far back', required: true },
      { name: 'topic', description: 'what about' },
    ]);
  });

  it.each([
    ['---\nname: Bad_Name\ndescription: d\n---\n', /name "Bad_Name" is not a skill name/],
    ['---\nname: ok\n---\n', /no description/],
    ['---\nname: ok\ndescription: [unclosed\n---\n', /not valid YAML/],
    ['---\nname: ok\ndescription: d\n', /no closing ---/],
    ['---\nname: 7\ndescription: d\n---\n', /front matter "name"/],
  ])('refuses %j', (text, problem) => {
    expect(() => parseSkill(text, 'x')).toThrow(problem);
  });
});

describe('discovery', () => {
  it('finds skills in every tier and keeps the highest of each name', () => {
    const extra = join(root, 'team-skills');
    skill(wsSkills(), 'code-review', 'name: code-review\ndescription: the workspace review');
    skill(userSkills(), 'code-review', 'name: code-review\ndescription: my review');
    skill(userSkills(), 'mine', 'name: mine\ndescription: only mine');
    skill(extra, 'team', 'name: team\ndescription: from the team folder');
    skill(extra, 'mine', 'name: mine\ndescription: the team one, hidden');
    const skills = catalog({ dirs: ['../team-skills'] });
    const byName = Object.fromEntries(skills.all().map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(['code-review', 'debugging', 'mine', 'release-notes', 'team']);
    expect(byName['code-review']).toMatchObject({ tier: 'workspace', description: 'the workspace review' });
    expect(byName.mine).toMatchObject({ tier: 'user', description: 'only mine' });
    expect(byName.team).toMatchObject({ tier: 'dirs' });
    expect(byName.debugging).toMatchObject({ tier: 'bundled' });
    expect(
      skills
        .shadowed()
        .map((s) => `${s.name}:${s.tier}`)
        .sort(),
    ).toEqual(['code-review:bundled', 'code-review:user', 'mine:dirs']);
    expect(warnings).toEqual([]);
  });

  it('copied unchanged from the fixtures: listed, body and files readable', () => {
    cpSync(join(FIXTURES, 'changelog-entry'), join(wsSkills(), 'changelog-entry'), { recursive: true });
    cpSync(join(FIXTURES, 'haiku-writer'), join(userSkills(), 'haiku-writer'), { recursive: true });
    const skills = catalog();
    const changelog = skills.get('changelog-entry')!;
    expect(changelog.allowedTools).toEqual(['Read', 'Write', 'Bash(git log:*)']);
    expect(skillBody(changelog)).toContain('Keep the summary under 72 characters: $ARGUMENTS');
    expect(skillBody(changelog)).not.toContain('allowed-tools');
    expect(skillFiles(changelog).files).toEqual([{ path: 'references/format.md', size: expect.any(Number) }]);
    expect(skillResource(changelog, 'references/format.md').text).toContain('skill-format-v2');
    expect(skills.get('haiku-writer')?.description).toBe('Use when: the user asks for a haiku about code');
    expect(warnings).toEqual([]);
  });

  it('skips a bad skill with a warning naming its file and the problem, and keeps the others', () => {
    skill(wsSkills(), 'good', 'name: good\ndescription: fine');
    skill(wsSkills(), 'broken', 'name: broken\ndescription: [oops');
    skill(wsSkills(), 'nameless', 'description: named after its folder');
    mkdirSync(join(wsSkills(), 'Not_A_Name'));
    writeFileSync(join(wsSkills(), 'Not_A_Name', 'SKILL.md'), '---\ndescription: d\n---\n');
    mkdirSync(join(wsSkills(), 'empty'));
    const huge = skill(wsSkills(), 'huge', 'name: huge\ndescription: too big', 'x'.repeat(300 * 1024));
    writeFileSync(join(wsSkills(), 'loose-file.md'), 'not a folder: ignored');
    const names = catalog()
      .all()
      .map((s) => s.name);
    expect(names).toContain('good');
    expect(names).toContain('nameless');
    for (const bad of ['broken', 'huge', 'empty']) expect(names).not.toContain(bad);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^skill skipped: .*\/broken: its front matter is not valid YAML/),
        expect.stringMatching(/^skill skipped: .*\/Not_A_Name: name "Not_A_Name" is not a skill name/),
        expect.stringMatching(/^skill skipped: .*\/empty: there is no SKILL.md/),
        `skill skipped: ${huge}: SKILL.md is 300.0 KiB, over the 256.0 KiB limit`,
      ]),
    );
    expect(warnings).toHaveLength(4);
  });

  it('refuses hostile folders: links out, FIFOs, a linked skill folder from the workspace', () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'the secret');
    skill(outside, 'elsewhere', 'name: elsewhere\ndescription: linked in');
    const folder = skill(wsSkills(), 'tricky', 'name: tricky\ndescription: d');
    mkdirSync(join(folder, 'refs'));
    writeFileSync(join(folder, 'refs', 'ok.md'), 'fine');
    symlinkSync(join(outside, 'secret.txt'), join(folder, 'refs', 'leak.md'));
    symlinkSync('ok.md', join(folder, 'refs', 'alias.md'));
    execFileSync('mkfifo', [join(folder, 'refs', 'pipe')]);
    symlinkSync(join(outside, 'elsewhere'), join(wsSkills(), 'elsewhere'));
    // A FIFO as SKILL.md must not block discovery.
    const fifoSkill = join(wsSkills(), 'fifo');
    mkdirSync(fifoSkill);
    execFileSync('mkfifo', [join(fifoSkill, 'SKILL.md')]);

    const skills = catalog();
    expect(skills.get('elsewhere')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/fifo: SKILL.md: "SKILL.md" is not a regular file/)]);
    const tricky = skills.get('tricky')!;
    expect(skillFiles(tricky).files.map((f) => f.path)).toEqual(['refs/alias.md', 'refs/ok.md']);
    expect(() => skillResource(tricky, 'refs/leak.md')).toThrow(/leads out of the folder/);
    expect(() => skillResource(tricky, '../tricky/refs/ok.md')).toThrow(/not a path inside/);
    expect(() => skillResource(tricky, '/etc/passwd')).toThrow(/not a path inside/);
    expect(() => skillResource(tricky, 'refs/pipe')).toThrow(/not a regular file/);
    expect(skillResource(tricky, 'refs/alias.md').text).toBe('fine');

    // The user's own folder may link a skill in (as people link ~/.claude/skills entries).
    mkdirSync(userSkills(), { recursive: true });
    symlinkSync(join(outside, 'elsewhere'), join(userSkills(), 'elsewhere'));
    expect(catalog().get('elsewhere')?.tier).toBe('user');
  });

  it('refuses a workspace tier folder that a link leads out of the workspace, and reads a dirs entry spelled outside', () => {
    const outside = join(root, 'outside');
    skill(outside, 'elsewhere', 'name: elsewhere\ndescription: your private skill');
    // `dirs = ["team"]` stays inside by its spelling (so trust does not hold it); the folder is a link.
    symlinkSync(outside, join(workspace, 'team'));
    expect(catalog({ dirs: ['team'] }).get('elsewhere')).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(
        /^skills: .*team leads out of .*workspace \(through a symbolic link, to .*outside\); not read$/,
      ),
    ]);
    // The workspace's own .oxydra/skills as a link out.
    rmSync(wsSkills(), { recursive: true });
    symlinkSync(outside, wsSkills());
    warnings = [];
    expect(catalog().get('elsewhere')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/skills leads out of .*; not read$/)]);
    // A folder spelled outside is one you named (the workspace's are held back until trusted).
    expect(catalog({ dirs: ['../outside'] }).get('elsewhere')?.tier).toBe('dirs');
  });

  it('caps what a listing names and a resource read returns', () => {
    const folder = skill(wsSkills(), 'big', 'name: big\ndescription: d');
    for (let i = 0; i < 210; i++) writeFileSync(join(folder, `f${String(i).padStart(3, '0')}.txt`), 'x');
    mkdirSync(join(folder, 'a', 'b', 'c', 'd', 'e'), { recursive: true });
    writeFileSync(join(folder, 'a', 'b', 'c', 'd', 'e', 'deep.txt'), 'deep');
    writeFileSync(join(folder, 'large.txt'), 'y'.repeat(300 * 1024));
    const big = catalog().get('big')!;
    const listing = skillFiles(big);
    expect(listing.files).toHaveLength(200);
    expect(listing.more).toBeGreaterThan(0);
    expect(listing.files.some((f) => f.path.endsWith('deep.txt'))).toBe(false);
    const large = skillResource(big, 'large.txt');
    expect(large).toMatchObject({ truncated: true, size: 300 * 1024 });
    expect(large.text).toHaveLength(256 * 1024);
  });

  it('notices a skill added while it runs (folder mtime), and leaves disabled names out of what it offers', () => {
    skill(wsSkills(), 'first', 'name: first\ndescription: d');
    const skills = catalog({ disabled: ['debugging'] });
    expect(skills.refresh()).toBe(false);
    expect(skills.get('second')).toBeUndefined();
    // Installs rename a complete folder into place: one change of the tier folder.
    skill(join(root, 'staging'), 'second', 'name: second\ndescription: the new one');
    execFileSync('mv', [join(root, 'staging', 'second'), join(wsSkills(), 'second')]);
    expect(skills.refresh()).toBe(true);
    expect(skills.get('second')?.description).toBe('the new one');
    expect(skills.refresh()).toBe(false);
    expect(skills.get('debugging')).toBeUndefined();
    expect(skills.all().map((s) => s.name)).toContain('debugging');
    expect(skills.offered(new Set(['skill_load'])).map((s) => s.name)).toEqual([
      'code-review',
      'first',
      'release-notes',
      'second',
    ]);
  });

  it('puts a long, multi-line description into one capped line', () => {
    skill(wsSkills(), 'wordy', `name: wordy\ndescription: |\n  ${'word '.repeat(300)}\n  second line`);
    const [offered] = catalog()
      .offered(new Set())
      .filter((s) => s.name === 'wordy');
    expect(offered!.description).not.toContain('\n');
    expect(offered!.description.length).toBe(1024);
    expect(offered!.description.endsWith('…')).toBe(true);
  });
});
