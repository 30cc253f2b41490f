/**
 * The dump forms other than grouped hex (dump-forms.ts): characters (`od -c`, `hexdump -c`),
 * octal bytes and words (`od -b`, `od`, `hexdump -b`, `hexdump -o`), decimal words (`od -d`,
 * `hexdump -d`), bits (`xxd -b`), a C array (`xxd -i`), and `od -A n` (no offset column): the key
 * is cut into fragments no line holds whole, and the whole dump goes when its bytes hold it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redactSecretForms } from '../src/index.js';
import { installedOf, withScratchFile } from './helpers-dumps.js';

const TOKEN = 'sk-live-0123456789abcdefghijABCDEFGHIJ01';
const redact = (text: string) => redactSecretForms(text, [TOKEN], '[X]', 6);

/**
 * What this machine's tools printed for `printf 'token=${TOKEN}\n' | <command>`, each dump after
 * its `$ command` line in fixtures/dumps.txt (a data file: the tools' trailing spaces are kept).
 */
function fixtures(): Record<string, string> {
  const text = readFileSync(new URL('./fixtures/dumps.txt', import.meta.url), 'utf8');
  const dumps: Record<string, string> = {};
  let command = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) command = line.slice(2);
    else if (command !== '' && line !== '') dumps[command] = `${dumps[command] ?? ''}${line}\n`;
  }
  return dumps;
}
const FIXTURES = fixtures();

/** The forms, as a model may ask for them: default widths, other offsets, groupings and cases. */
const COMMANDS = [
  ['od', '-c'],
  ['od', '-A', 'n', '-c'],
  ['od', '-A', 'x', '-c'],
  ['od', '-b'],
  ['od', '-A', 'd', '-b'],
  ['od'],
  ['od', '-d'],
  ['od', '-A', 'n', '-t', 'x1'],
  ['od', '-A', 'n', '-x'],
  ['od', '-A', 'n', '-t', 'x1z'],
  ['hexdump', '-b'],
  ['hexdump', '-c'],
  ['hexdump', '-o'],
  ['hexdump', '-d'],
  ['xxd', '-b'],
  ['xxd', '-b', '-g2'],
  ['xxd', '-i'],
  ['xxd', '-i', '-u'],
];
const installed = installedOf(COMMANDS);

describe('redactSecretForms on octal, decimal, character, bit and C-array dumps', () => {
  it('replaces each dump whole, as printed here, though no line holds the key or its hex', () => {
    expect(Object.keys(FIXTURES)).toHaveLength(13);
    const hex = Buffer.from(TOKEN).toString('hex');
    for (const [command, dump] of Object.entries(FIXTURES)) {
      expect(dump.includes(TOKEN) || dump.includes(hex), command).toBe(false);
      expect(redact(`$ ${command} creds\n${dump}$ ls`), command).toBe(`$ ${command} creds\n[X]\n$ ls`);
      expect(redact(`out:\r\n${dump.replace(/\n/g, '\r\n')}`), command).toBe('out:\r\n[X]\r\n');
      // Another key's dump is kept byte for byte.
      const other = 'sk-live-0123456789abcdefghijABCDEFGHIJ02';
      expect(redactSecretForms(dump, [other], '[X]', 6), command).toBe(dump);
    }
  });

  // Skipped only where none of xxd, hexdump, od runs: the literal fixtures above still test every form.
  it.skipIf(installed.length === 0)(
    'finds the key at odd offsets of a longer file, across line breaks, with the binaries installed here',
    () =>
      withScratchFile((write, dump) => {
        const shown = (command: readonly string[], text: string) => {
          write(text);
          // `xxd -i` keeps its C frame (the declaration, `};` and the length): the bytes go.
          return redact(dump(command)).replace(
            /unsigned char \S+ = \{\n|\n\};\nunsigned int \S+ = \d+;/g,
            '',
          );
        };
        for (const command of installed) {
          const name = command.join(' ');
          // 40 bytes ahead make a `*` line; the key then starts at an odd or even place in a line
          // (and in a 2-byte word), after a UTF-8 character (`od -c` prints its bytes in octal).
          for (const shift of [0, 1, 6, 7, 15]) {
            const text = `${'A'.repeat(40)}é ${'x'.repeat(shift)}key=${TOKEN}\nnext line\n`;
            expect(shown(command, text), `${name} at ${shift}`).toBe('[X]\n');
          }
          // The base64 of `user:key`, as a file holding a Basic header has it: another form of it.
          const basic = `Authorization: Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}\n`;
          expect(shown(command, basic), `${name} base64`).toBe('[X]\n');
          // Only part of the key, or none: the dump is kept byte for byte.
          for (const text of [
            `${'A'.repeat(40)}key=${TOKEN.slice(0, -1)}\n`,
            'a plain file, no secret\n'.repeat(4),
          ]) {
            write(text);
            const plain = dump(command);
            expect(redact(plain), `${name}: ${text.slice(0, 50)}`).toBe(plain);
          }
        }
      }),
  );

  it('reads a megabyte of near-dump lines of each form in one pass a form', () => {
    // By construction (one forward pass over the lines a form, each character read once a pass,
    // no regex but a bounded hint): these inputs finish, and find or keep what they should.
    const megabyte = (line: string) => line.repeat(Math.ceil(1_000_000 / line.length));
    const nearDumps = [
      // Character lines, each ending in a cell that is not one.
      megabyte(`0000000${'   a'.repeat(15)}  \\q\n`),
      ` ${'   a'.repeat(250_000)}`,
      // Octal and decimal lines whose last number is out of range or too wide.
      megabyte(`0000000 ${'164 '.repeat(15)}400\n`),
      megabyte(`0000000 ${'067564 '.repeat(7)}0675641\n`),
      megabyte(`0000000 ${'28532 '.repeat(7)}65536\n`),
      `\n0000 ${'1'.repeat(1_000_000)}`,
      // Bits not a whole byte; a C array with a bad last byte; the hint's runs of spaces and hex.
      megabyte(`00000000: ${'01110100 '.repeat(5)}0111010\n`),
      `${'  0x41,'.repeat(150_000)} 0x4g`,
      `\n${' '.repeat(1_000_000)}ab`,
      `\n${' ab'.repeat(2)}${' '.repeat(1_000_000)}`,
    ];
    for (const text of nearDumps) {
      expect(text.length).toBeGreaterThan(999_999);
      expect(redact(text)).toBe(text);
    }
    // The same forms, a megabyte long, with the key at the end: the run holding it goes.
    const bytes = Buffer.from(`${'0123456789abcdef'.repeat(65_536)}${TOKEN}`);
    const odC = [...bytes].map((byte) => `   ${String.fromCharCode(byte)}`).join('');
    const odB = [...bytes].map((byte) => ` ${byte.toString(8).padStart(3, '0')}`).join('');
    const lines = (cells: string, width: number) =>
      (cells.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\n');
    expect(redact(`head\n${lines(odC, 64)}\ntail`)).toBe('head\n[X]\ntail');
    expect(redact(`head\n${lines(odB, 64)}\ntail`)).toBe('head\n[X]\ntail');
    expect(redact(`head\n${lines(odB.slice(0, -4 * TOKEN.length), 64)}\ntail`).includes('[X]')).toBe(false);
  });
});
