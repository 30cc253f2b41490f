/**
 * The persona store without a kernel (what `oxydra persona` uses): create from flags or a file,
 * list, show with the rendered prompt, update (fields or a whole file), delete, the active
 * persona; the workspace's persona wins a name clash; config values resolve to a stored name or
 * a file; hostile names and files are refused; every change is audited and announced.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError, UsageError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PersonaStore, personaStore } from '../src/personas/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/characters/', import.meta.url));

let scratch: TempWorkspace;
let root: string;
let workspace: string;
let home: string;
let store: PersonaStore;
let audit: [string, string, Record<string, unknown>, string][];
let changes: number;

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-personas-' });
  root = scratch.dir;
  workspace = join(root, 'workspace');
  home = join(root, 'home');
  mkdirSync(workspace);
  mkdirSync(home);
  audit = [];
  changes = 0;
  store = personaStore(
    workspace,
    { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') },
    { audit: (...entry) => audit.push(entry), onChange: () => changes++ },
  );
});
afterEach(() => scratch.cleanup());

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

async function rejected(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('persona store', () => {
  it('keeps the workspace store in .oxydra/personas and the user store under XDG_CONFIG_HOME', () => {
    expect(store.workspaceDir).toBe(join(workspace, '.oxydra', 'personas'));
    expect(store.userDir).toBe(join(home, 'xdg', 'oxydra', 'personas'));
  });

  it('creates from fields (the name defaulting to the persona name), lists, shows the rendered prompt', async () => {
    const info = await store.create('ada', { set: { bio: ['Writes careful code.'], topics: ['testing'] } });
    expect(info).toMatchObject({
      name: 'ada',
      scope: 'workspace',
      format: 'json',
      displayName: 'ada',
      active: false,
    });
    expect(JSON.parse(readFileSync(info.path, 'utf8'))).toEqual({
      name: 'ada',
      bio: ['Writes careful code.'],
      topics: ['testing'],
    });
    expect(statSync(info.path).mode & 0o777).toBe(0o600);
    expect(store.list().map((p) => p.name)).toEqual(['ada']);
    const shown = store.show('ada');
    expect(shown.prompt).toContain('About ada:\n- Writes careful code.');
    expect(shown.prompt).toContain('Topics ada knows well: testing.');
    expect(audit).toEqual([
      ['cli', 'persona_create', expect.objectContaining({ name: 'ada', scope: 'workspace' }), 'persona:ada'],
    ]);
    expect(changes).toBe(1);
    expect(await rejected(() => store.create('ada', {}))).toBeInstanceOf(UsageError);
  });

  it('copies a character file as written (TOML comments kept), and into the user store on request', async () => {
    const pirate = await store.create('pirate', { from: join(FIXTURES, 'pirate.toml') }, { scope: 'user' });
    expect(pirate).toMatchObject({ scope: 'user', format: 'toml', displayName: 'Captain Sally' });
    expect(readFileSync(pirate.path, 'utf8')).toBe(readFileSync(join(FIXTURES, 'pirate.toml'), 'utf8'));
    expect(pirate.path.startsWith(store.userDir)).toBe(true);
    const c3po = await store.create('c3po', { from: join(FIXTURES, 'eliza-c3po.character.json') });
    const shown = store.show('c3po');
    expect(shown.notes).toHaveLength(3);
    expect(shown.prompt).toContain('you speak and act as C-3PO');
    expect(shown.prompt).not.toMatch(/CANARY|secrets/);
    expect(JSON.stringify(shown.character)).not.toContain('CANARY');
    expect(c3po.path).toBe(join(store.workspaceDir, 'c3po.json'));
  });

  it("the workspace's persona wins a name clash; deleting it uncovers the user's", async () => {
    await store.create('sam', { set: { name: 'User Sam' } }, { scope: 'user' });
    await store.create('sam', { set: { name: 'Workspace Sam' } });
    expect(store.list()).toEqual([
      expect.objectContaining({ name: 'sam', scope: 'workspace', displayName: 'Workspace Sam' }),
    ]);
    expect(store.resolve('sam', 'persona').character.name).toBe('Workspace Sam');
    await store.delete('sam');
    expect(store.show('sam')).toMatchObject({ scope: 'user', displayName: 'User Sam' });
  });

  it('updates fields keeping what it does not know (settings included), or replaces the whole file', async () => {
    await store.create('c3po', { from: join(FIXTURES, 'eliza-c3po.character.json') });
    await store.update('c3po', { set: { bio: ['Only this now.'], style: { chat: ['Terse'] } } });
    const raw = JSON.parse(readFileSync(join(store.workspaceDir, 'c3po.json'), 'utf8'));
    expect(raw.bio).toEqual(['Only this now.']);
    expect(raw.style).toEqual({
      all: ['Proper', 'Formal', 'Slightly anxious', 'Detail-oriented', 'Protocol-focused'],
      chat: ['Terse'],
      post: ['Formal', 'Educational'],
    });
    expect(raw.settings.secrets.OPENAI_API_KEY).toMatch(/CANARY/);
    expect(store.show('c3po').prompt).toContain('About C-3PO:\n- Only this now.');
    expect(audit.at(-1)).toEqual([
      'cli',
      'persona_update',
      expect.objectContaining({ name: 'c3po', replaced: false, fields: ['bio', 'style'] }),
      'persona:c3po',
    ]);

    // Replaced by a TOML file: the JSON one goes.
    await store.update('c3po', { from: join(FIXTURES, 'pirate.toml') }, { actor: 'token:t1' });
    expect(existsSync(join(store.workspaceDir, 'c3po.json'))).toBe(false);
    expect(store.show('c3po')).toMatchObject({ format: 'toml', displayName: 'Captain Sally' });
    expect(audit.at(-1)?.[0]).toBe('token:t1');

    // A TOML persona's fields are set and written back as TOML.
    await store.update('c3po', { set: { adjectives: ['calm'] } });
    expect(readFileSync(join(store.workspaceDir, 'c3po.toml'), 'utf8')).toMatch(/adjectives = \[ "calm" \]/);
    expect(store.show('c3po').prompt).toContain('Captain Sally is calm.');

    expect(await rejected(() => store.update('c3po', {}))).toBeInstanceOf(UsageError);
    expect(await rejected(() => store.update('nobody', { set: { bio: ['x'] } }))).toBeInstanceOf(UsageError);
  });

  it('refuses a change that would leave an invalid character, writing nothing', async () => {
    await store.create('ada', {});
    const before = readFileSync(join(store.workspaceDir, 'ada.json'), 'utf8');
    const error = await rejected(() => store.update('ada', { character: { name: 'Ada', bio: [1] } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/ada\.json: bio\[0\] must be a string$/);
    expect(readFileSync(join(store.workspaceDir, 'ada.json'), 'utf8')).toBe(before);
  });

  it('sets, reads and clears the active persona; deleting the active one clears it', async () => {
    await store.create('ada', {});
    await store.create('bob', {});
    expect(store.active()).toBeUndefined();
    await store.setActive('ada');
    expect(readFileSync(join(store.workspaceDir, '.active'), 'utf8')).toBe('ada\n');
    expect(store.active()).toBe('ada');
    expect(store.list().map((p) => [p.name, p.active])).toEqual([
      ['ada', true],
      ['bob', false],
    ]);
    expect(store.loadActive()?.character.name).toBe('ada');
    await store.setActive(undefined);
    expect(store.active()).toBeUndefined();
    await store.setActive('bob');
    await store.delete('bob');
    expect(store.active()).toBeUndefined();
    expect(await rejected(() => store.setActive('nobody'))).toBeInstanceOf(UsageError);
    expect(audit.map(([, type, data]) => [type, data.name])).toEqual([
      ['persona_create', 'ada'],
      ['persona_create', 'bob'],
      ['persona_activate', 'ada'],
      ['persona_activate', ''],
      ['persona_activate', 'bob'],
      ['persona_delete', 'bob'],
    ]);
  });

  it('an active persona that is gone, or an .active file holding something else, is a ConfigError', async () => {
    mkdirSync(store.workspaceDir, { recursive: true });
    writeFileSync(join(store.workspaceDir, '.active'), 'ghost\n');
    expect((thrown(() => store.loadActive()) as Error).message).toMatch(
      /the active persona "ghost" .* does not exist any more/,
    );
    writeFileSync(join(store.workspaceDir, '.active'), '../../etc/passwd\n');
    expect(thrown(() => store.active())).toBeInstanceOf(ConfigError);
  });

  it('resolves a config value: a stored name, else a file relative to the workspace or under ~; else names the key and the known', async () => {
    await store.create('ada', {});
    copyFileSync(join(FIXTURES, 'zoey-agent.json'), join(workspace, 'zoey.json'));
    copyFileSync(join(FIXTURES, 'pirate.toml'), join(home, 'pirate.toml'));
    expect(store.resolve('ada', 'persona').character.name).toBe('ada');
    expect(store.resolve('zoey.json', 'agents.x.persona').character.name).toBe('Zoey');
    expect(store.resolve('~/pirate.toml', 'persona').character.name).toBe('Captain Sally');
    expect(store.resolve(join(home, 'pirate.toml'), 'persona').character.name).toBe('Captain Sally');
    const error = thrown(() => store.resolve('adda', 'agents.helper.persona')) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^agents\.helper\.persona = "adda": no persona of that name \(did you mean "ada"\?\) \(known: ada\)/,
    );
    expect(error.location.keyPath).toBe('agents.helper.persona');
    writeFileSync(join(workspace, 'broken.json'), '{"bio": []}');
    expect((thrown(() => store.resolve('broken.json', 'persona')) as Error).message).toBe(
      `persona: ${join(workspace, 'broken.json')}: name is required`,
    );
  });

  it('refuses a workspace character file whose real path leads out of the workspace (a link planted by a repository)', () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.json'), '{"name": "Outside", "bio": ["from your home folder"]}');
    symlinkSync(join(outside, 'secret.json'), join(workspace, 'zoey.json'));
    symlinkSync(outside, join(workspace, 'chars'));
    for (const ref of ['zoey.json', 'chars/secret.json']) {
      const error = thrown(() => store.resolve(ref, 'agents.x.persona')) as ConfigError;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^agents\.x\.persona: .* leads out of .* \(through a symbolic link/);
      expect(error.hint).toMatch(/a copy, not a link/);
    }
    // A link that stays inside, and your own absolute path, are read.
    copyFileSync(join(FIXTURES, 'zoey-agent.json'), join(workspace, 'real.json'));
    symlinkSync('real.json', join(workspace, 'alias.json'));
    expect(store.resolve('alias.json', 'persona').character.name).toBe('Zoey');
    expect(store.resolve(join(workspace, 'zoey.json'), 'persona').character.name).toBe('Outside');
  });

  it('re-reads a file only when it changed', async () => {
    await store.create('ada', { set: { bio: ['one'] } });
    const first = store.resolve('ada', 'persona');
    expect(store.resolve('ada', 'persona')).toBe(first);
    // Another process (the CLI while a gateway runs) rewrites it.
    const other = personaStore(workspace, { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') });
    await other.update('ada', { set: { bio: ['two'] } });
    expect(store.resolve('ada', 'persona').prompt).toContain('- two');
  });

  it.each(['../evil', 'Ada', '.active', 'a/b', '', 'a'.repeat(65), '-x', 'x.json', 'a\0b'])(
    'refuses the name %j everywhere',
    async (name) => {
      expect(thrown(() => store.show(name))).toBeInstanceOf(UsageError);
      expect(await rejected(() => store.create(name, {}))).toBeInstanceOf(UsageError);
      expect(await rejected(() => store.delete(name))).toBeInstanceOf(UsageError);
      expect(await rejected(() => store.setActive(name))).toBeInstanceOf(UsageError);
      expect(
        existsSync(store.workspaceDir)
          ? execFileSync('ls', ['-A', store.workspaceDir], { encoding: 'utf8' })
          : '',
      ).toBe('');
    },
  );

  it('refuses persona files that are links, FIFOs or too big; list reports them instead of failing', async () => {
    mkdirSync(store.workspaceDir, { recursive: true });
    writeFileSync(join(root, 'secret.json'), '{"name": "outside"}');
    symlinkSync(join(root, 'secret.json'), join(store.workspaceDir, 'link.json'));
    execFileSync('mkfifo', [join(store.workspaceDir, 'pipe.json')]);
    writeFileSync(join(store.workspaceDir, 'big.json'), `{"name": "${'x'.repeat(300 * 1024)}"}`);
    await store.create('fine', {});
    const listed = Object.fromEntries(store.list().map((p) => [p.name, p.problem ?? 'ok']));
    expect(listed).toEqual({
      big: expect.stringMatching(/limited to 256 KiB/),
      fine: 'ok',
      link: expect.stringMatching(/is a symbolic link/),
      pipe: expect.stringMatching(/is not a regular file/),
    });
    expect(thrown(() => store.show('link'))).toBeInstanceOf(ConfigError);
    expect(thrown(() => store.resolve('pipe', 'persona'))).toBeInstanceOf(ConfigError);
    expect(await rejected(() => store.setActive('link'))).toBeInstanceOf(ConfigError);
  });
});
