/**
 * Character files: ElizaOS and ZoeyOS JSON read unchanged, TOML with either key spelling; what
 * is not text is left out with a note; secrets and settings never survive parsing; a mistake is
 * one line naming the file and the field; FIFOs, devices, links and huge files are refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CHARACTER_BYTES, parseCharacter, readCharacterFile } from '../src/personas/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/characters/', import.meta.url));
const fixture = (name: string) => readCharacterFile(join(FIXTURES, name), { followLinks: false });

let folder: TempWorkspace | undefined;
afterEach(() => {
  folder?.cleanup();
  folder = undefined;
});
function scratch(): string {
  folder = tempWorkspace({ prefix: 'oxydra-characters-' });
  return folder.dir;
}

/** The ConfigError a call throws (fails the test when it throws nothing or something else). */
function configError(call: () => unknown): ConfigError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('character files', () => {
  it('reads an ElizaOS character file unchanged: content.text messages, object knowledge left out with notes', () => {
    const file = fixture('eliza-c3po.character.json');
    const { character } = file;
    expect(character.name).toBe('C-3PO');
    expect(character.system).toMatch(/^Respond as C-3PO/);
    expect(character.bio).toHaveLength(3);
    expect(character.knowledge).toEqual([
      'Protocol and etiquette of over three hundred worlds',
      'The odds of successfully navigating an asteroid field are approximately 3,720 to 1',
    ]);
    expect(character.messageExamples[0]).toEqual([
      { name: '{{user1}}', text: 'Can you help me with this task?' },
      expect.objectContaining({ name: 'C-3PO' }),
    ]);
    // The action-only message has no text: left out, said in a note.
    expect(character.messageExamples[1]).toHaveLength(2);
    expect(file.notes).toEqual([
      'knowledge[1] is not text (a file or folder reference?): left out',
      'knowledge[2] is not text (a file or folder reference?): left out',
      'messageExamples[1][2] has no text: left out',
    ]);
    expect(character.style.post).toEqual(['Formal', 'Educational']);
    // The file itself keeps everything; the character keeps none of the settings.
    expect(file.raw.settings).toBeDefined();
    expect(JSON.stringify(character)).not.toMatch(/CANARY|secrets|settings|modelProvider|plugins/);
  });

  it('reads a ZoeyOS character (camelCase, {name, text} messages, username)', () => {
    const { character, notes } = fixture('zoey-agent.json');
    expect(character).toMatchObject({
      name: 'Zoey',
      username: 'zoey_ai',
      topics: ['privacy', 'local-first software', 'note taking'],
      adjectives: ['calm', 'careful', 'friendly'],
      postExamples: ['Your data, your device.'],
    });
    expect(character.messageExamples).toEqual([
      [
        { name: 'user', text: 'Can you tidy up the notes folder?' },
        { name: 'Zoey', text: "Sure. I'll list the files first and tell you what I plan to move." },
      ],
    ]);
    expect(notes).toEqual([]);
    expect(JSON.stringify(character)).not.toMatch(/CANARY|storage|templates/);
  });

  it('reads TOML, snake_case spellings of the two-word keys included', () => {
    const { character, format } = fixture('pirate.toml');
    expect(format).toBe('toml');
    expect(character.name).toBe('Captain Sally');
    expect(character.style).toEqual({
      all: ['Speaks like a pirate', 'Never rude'],
      chat: ['Ends with a nautical proverb'],
      post: [],
    });
    expect(character.messageExamples[0]?.[1]?.name).toBe('Captain Sally');
    expect(character.postExamples).toEqual(['Scrape yer barnacles daily, mateys.']);
    expect(JSON.stringify(character)).not.toContain('CANARY');
  });

  it('needs only a name; a bio may be one string', () => {
    const { character } = parseCharacter({ name: ' Ada ', bio: 'Writes careful code.' }, 'x.json');
    expect(character).toEqual({
      name: 'Ada',
      bio: ['Writes careful code.'],
      lore: [],
      knowledge: [],
      topics: [],
      adjectives: [],
      style: { all: [], chat: [], post: [] },
      messageExamples: [],
      postExamples: [],
    });
  });

  it.each([
    [{}, 'x.json: name is required'],
    [{ name: '' }, 'x.json: name must not be empty'],
    [{ name: 7 }, 'x.json: name must be a string'],
    [{ name: 'a', bio: ['ok', 3] }, 'x.json: bio[1] must be a string'],
    [{ name: 'a', style: { chat: ['ok', false] } }, 'x.json: style.chat[1] must be a string'],
    [{ name: 'a', style: 'terse' }, 'x.json: style must be an object with all, chat and post lists'],
    [
      { name: 'a', messageExamples: [{ name: 'u', text: 'hi' }] },
      'x.json: messageExamples[0] each conversation must be a list of messages',
    ],
    [
      { name: 'a', messageExamples: [[{ name: 'u', text: 5 }]] },
      'x.json: messageExamples[0][0].text must be a string',
    ],
    [
      ['not', 'an', 'object'],
      'x.json: the character must be a JSON object (or a TOML table) describing a character',
    ],
  ])('a mistake is one line naming the file and the field: %j', (raw, message) => {
    const error = configError(() => parseCharacter(raw, 'x.json'));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
    expect(error.location.source).toBe('x.json');
  });

  it('names the file for bad syntax: JSON, TOML with line and column, an unknown extension', () => {
    const root = scratch();
    writeFileSync(join(root, 'bad.json'), '{"name": "a",,}');
    writeFileSync(join(root, 'bad.toml'), 'name = "a"\nbio = [\n');
    writeFileSync(join(root, 'a.yaml'), 'name: a');
    expect(
      configError(() => readCharacterFile(join(root, 'bad.json'), { followLinks: true })).message,
    ).toMatch(/bad\.json: invalid JSON: /);
    expect(
      configError(() => readCharacterFile(join(root, 'bad.toml'), { followLinks: true })).message,
    ).toMatch(/bad\.toml:\d+:\d+: invalid TOML/);
    expect(configError(() => readCharacterFile(join(root, 'a.yaml'), { followLinks: true })).message).toMatch(
      /a\.yaml: a character file must end in \.json or \.toml/,
    );
  });

  it('refuses a FIFO (without blocking), a directory, a device, a file over the cap, and a link unless asked to follow', () => {
    const root = scratch();
    execFileSync('mkfifo', [join(root, 'fifo.json')]);
    mkdirSync(join(root, 'dir.json'));
    writeFileSync(
      join(root, 'big.json'),
      JSON.stringify({ name: 'a', bio: ['x'.repeat(MAX_CHARACTER_BYTES)] }),
    );
    writeFileSync(join(root, 'real.json'), '{"name": "Linked"}');
    symlinkSync(join(root, 'real.json'), join(root, 'link.json'));
    symlinkSync('/dev/zero', join(root, 'zero.json'));
    const read = (name: string, followLinks = false) => readCharacterFile(join(root, name), { followLinks });
    expect(configError(() => read('fifo.json')).message).toMatch(/is not a regular file/);
    expect(configError(() => read('dir.json')).message).toMatch(/is a directory/);
    expect(configError(() => read('big.json')).message).toMatch(/limited to 256 KiB/);
    expect(configError(() => read('link.json')).message).toMatch(/is a symbolic link/);
    expect(read('link.json', true).character.name).toBe('Linked');
    expect(configError(() => read('zero.json', true)).message).toMatch(/is not a regular file/);
    expect(configError(() => read('missing.json')).message).toMatch(/missing\.json: no such file/);
  });
});
