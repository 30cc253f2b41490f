/**
 * The dump forms other than grouped hex (dump-forms.ts): characters (`od -c`, `hexdump -c`),
 * octal bytes and words (`od -b`, `od`, `hexdump -b`, `hexdump -o`), decimal words (`od -d`,
 * `hexdump -d`), bits (`xxd -b`), a C array (`xxd -i`), and `od -A n` (no offset column): the key
 * is cut into fragments no line holds whole, and the whole dump goes when its bytes hold it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactSecretForms } from '../src/index.js';

const TOKEN = 'sk-live-0123456789abcdefghijABCDEFGHIJ01';
const redact = (text: string) => redactSecretForms(text, [TOKEN], '[X]', 6);

/** What this machine's tools printed for `printf 'token=${TOKEN}\n' | <command>` (od 9.1, util-linux hexdump, xxd). */
const FIXTURES: Record<string, string> = {
  'od -c': `0000000   t   o   k   e   n   =   s   k   -   l   i   v   e   -   0   1
0000020   2   3   4   5   6   7   8   9   a   b   c   d   e   f   g   h
0000040   i   j   A   B   C   D   E   F   G   H   I   J   0   1  \\n
0000057
`,
  'od -A n -c': `   t   o   k   e   n   =   s   k   -   l   i   v   e   -   0   1
   2   3   4   5   6   7   8   9   a   b   c   d   e   f   g   h
   i   j   A   B   C   D   E   F   G   H   I   J   0   1  \\n
`,
  'od -b': `0000000 164 157 153 145 156 075 163 153 055 154 151 166 145 055 060 061
0000020 062 063 064 065 066 067 070 071 141 142 143 144 145 146 147 150
0000040 151 152 101 102 103 104 105 106 107 110 111 112 060 061 012
0000057
`,
  od: `0000000 067564 062553 036556 065563 066055 073151 026545 030460
0000020 031462 032464 033466 034470 061141 062143 063145 064147
0000040 065151 041101 042103 043105 044107 045111 030460 000012
0000057
`,
  'od -d': `0000000 28532 25963 15726 27507 27693 30313 11621 12592
0000020 13106 13620 14134 14648 25185 25699 26213 26727
0000040 27241 16961 17475 17989 18503 19017 12592    10
0000057
`,
  'od -A n -t x1': ` 74 6f 6b 65 6e 3d 73 6b 2d 6c 69 76 65 2d 30 31
 32 33 34 35 36 37 38 39 61 62 63 64 65 66 67 68
 69 6a 41 42 43 44 45 46 47 48 49 4a 30 31 0a
`,
  'od -A n -x': ` 6f74 656b 3d6e 6b73 6c2d 7669 2d65 3130
 3332 3534 3736 3938 6261 6463 6665 6867
 6a69 4241 4443 4645 4847 4a49 3130 000a
`,
  'hexdump -b': `0000000 164 157 153 145 156 075 163 153 055 154 151 166 145 055 060 061
0000010 062 063 064 065 066 067 070 071 141 142 143 144 145 146 147 150
0000020 151 152 101 102 103 104 105 106 107 110 111 112 060 061 012    
000002f
`,
  'hexdump -c': `0000000   t   o   k   e   n   =   s   k   -   l   i   v   e   -   0   1
0000010   2   3   4   5   6   7   8   9   a   b   c   d   e   f   g   h
0000020   i   j   A   B   C   D   E   F   G   H   I   J   0   1  \\n    
000002f
`,
  'hexdump -o': `0000000  067564  062553  036556  065563  066055  073151  026545  030460
0000010  031462  032464  033466  034470  061141  062143  063145  064147
0000020  065151  041101  042103  043105  044107  045111  030460  000012
000002f
`,
  'hexdump -d': `0000000   28532   25963   15726   27507   27693   30313   11621   12592
0000010   13106   13620   14134   14648   25185   25699   26213   26727
0000020   27241   16961   17475   17989   18503   19017   12592   00010
000002f
`,
  'xxd -b': `00000000: 01110100 01101111 01101011 01100101 01101110 00111101  token=
00000006: 01110011 01101011 00101101 01101100 01101001 01110110  sk-liv
0000000c: 01100101 00101101 00110000 00110001 00110010 00110011  e-0123
00000012: 00110100 00110101 00110110 00110111 00111000 00111001  456789
00000018: 01100001 01100010 01100011 01100100 01100101 01100110  abcdef
0000001e: 01100111 01101000 01101001 01101010 01000001 01000010  ghijAB
00000024: 01000011 01000100 01000101 01000110 01000111 01001000  CDEFGH
0000002a: 01001001 01001010 00110000 00110001 00001010           IJ01.
`,
  'xxd -i': `  0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, 0x73, 0x6b, 0x2d, 0x6c, 0x69, 0x76,
  0x65, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
  0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x41, 0x42,
  0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x30, 0x31, 0x0a
`,
};

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
const installed = COMMANDS.filter(([tool]) => spawnSync(tool!, ['/dev/null']).status === 0);

describe('redactSecretForms on octal, decimal, character, bit and C-array dumps', () => {
  it('replaces each dump whole, as printed here, though no line holds the key or its hex', () => {
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
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'oxydra-dumpforms-'));
      try {
        const file = join(dir, 'creds');
        const dump = (command: string[]) =>
          execFileSync(command[0]!, [...command.slice(1), file], { encoding: 'utf8' });
        const wrap = (name: string, text: string) => `$ ${name} creds\n${text}$ ls`;
        for (const command of installed) {
          const name = command.join(' ');
          // 40 bytes ahead make a `*` line; the key then starts at an odd or even place in a line
          // (and in a 2-byte word), after a UTF-8 character (`od -c` prints its bytes in octal).
          for (const shift of [0, 1, 6, 7, 15]) {
            writeFileSync(file, `${'A'.repeat(40)}é ${'x'.repeat(shift)}key=${TOKEN}\nnext line\n`);
            const out = redact(wrap(name, dump(command)));
            // `xxd -i` keeps its C frame (the declaration, `};` and the length): the bytes go.
            expect(
              out.replace(/unsigned char \S+ = \{\n|\n\};\nunsigned int \S+ = \d+;/g, ''),
              `${name} at ${shift}`,
            ).toBe(wrap(name, '[X]\n'));
          }
          // Only part of the key, or none: the dump is kept byte for byte.
          writeFileSync(file, `${'A'.repeat(40)}key=${TOKEN.slice(0, -1)}\n`);
          const partial = dump(command);
          expect(redact(partial), name).toBe(partial);
          writeFileSync(file, 'an ordinary file with nothing secret in it\n'.repeat(4));
          const plain = dump(command);
          expect(redact(plain), name).toBe(plain);
          // Another form of it: the base64 of `user:key`, as a file holding a Basic header has it.
          writeFileSync(file, `Authorization: Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}\n`);
          expect(redact(dump(command)).includes('[X]'), `${name} base64`).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
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
