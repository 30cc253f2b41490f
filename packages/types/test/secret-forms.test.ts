/**
 * A known secret is found in the forms it comes back in: percent-encoded, JSON-escaped, hex, and
 * base64/base64url at any byte alignment inside a longer encoded run (a proxy echoing
 * `Authorization: Basic base64(user:key)`), the run replaced whole.
 */
import { describe, expect, it } from 'vitest';
import { redactSecretForms } from '../src/index.js';
import { installedOf, withScratchFile } from './helpers-dumps.js';

const KEY = 'proxy-Key-alpha+bravo/charlie "2026"';
const redact = (text: string) => redactSecretForms(text, [KEY], '[X]', 6);
const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('redactSecretForms', () => {
  it('replaces the value as written, percent-encoded and JSON-escaped', () => {
    expect(redact(`a ${KEY} b`)).toBe('a [X] b');
    expect(redact(`GET /v1?key=${encodeURIComponent(KEY)}&x=1`)).toBe('GET /v1?key=[X]&x=1');
    expect(redact(`{"auth":${JSON.stringify(KEY)}}`)).toBe('{"auth":"[X]"}');
  });

  it('replaces a base64 or base64url run holding it, whatever precedes and follows it', () => {
    for (const prefix of ['', 'u', 'us', 'user:', 'Bearer ']) {
      for (const suffix of ['', '!', '\n--']) {
        const plain = `${prefix}${KEY}${suffix}`;
        expect(redact(`Basic ${b64(plain)} rest`), JSON.stringify(plain)).toBe('Basic [X] rest');
        expect(redact(`tok=${b64url(plain)};`), JSON.stringify(plain)).toBe('tok=[X];');
      }
    }
  });

  it('replaces its hex, lower or upper case, as `xxd -p` or a proxy dumping bytes prints it', () => {
    const hex = Buffer.from(KEY).toString('hex');
    expect(redact(`dump: ${hex}`)).toBe('dump: [X]');
    expect(redact(`DUMP ${hex.toUpperCase()};`)).toBe('DUMP [X];');
    // Inside a longer dump (a header line's bytes), what surrounds it stays.
    expect(redact(`${Buffer.from('key: ').toString('hex')}${hex}0a`)).toBe('6b65793a20[X]0a');
  });

  it('replaces a hex dump wrapped over lines (`xxd -p`, 60 digits a line) that holds it', () => {
    const dump = (text: string) =>
      (
        Buffer.from(text)
          .toString('hex')
          .match(/.{1,60}/g) ?? []
      )
        .join('\n')
        .concat('\n');
    // The key starts mid-line and runs over a break: no line holds its whole hex.
    const wrapped = dump(`user:${KEY}\n`);
    expect(wrapped.split('\n').some((line) => line.includes(Buffer.from(KEY).toString('hex')))).toBe(false);
    expect(redact(`$ xxd -p creds\n${wrapped}$ ls`)).toBe('$ xxd -p creds\n[X]\n$ ls');
    expect(redact(`dump\r\n${wrapped.toUpperCase().replace(/\n/g, '\r\n')}`)).toBe('dump\r\n[X]\r\n');
    const other = dump('an ordinary file with nothing secret in it at all');
    expect(redact(other)).toBe(other);
  });

  it('prepares a list once and still honours it when it changes', () => {
    const other = 'second-secret-value';
    const secrets = [KEY];
    const text = `${KEY} ${other}`;
    expect(redactSecretForms(text, secrets, '[X]', 6)).toBe(`[X] ${other}`);
    expect(redactSecretForms(text, secrets, '[X]', 6)).toBe(`[X] ${other}`);
    secrets.push(other);
    expect(redactSecretForms(text, secrets, '[X]', 6)).toBe('[X] [X]');
    secrets[0] = 'none-of-these';
    expect(redactSecretForms(text, secrets, '[X]', 6)).toBe(`${KEY} [X]`);
    // The same list with another minimum length is another preparation.
    expect(redactSecretForms(text, secrets, '[X]', 100)).toBe(text);
  });

  it('leaves other base64 alone and skips values shorter than the minimum', () => {
    const other = b64('an ordinary attachment with no secret in it');
    expect(redact(`img ${other}`)).toBe(`img ${other}`);
    expect(redactSecretForms(`abc ${b64('abc')}`, ['abc'], '[X]', 6)).toBe(`abc ${b64('abc')}`);
  });

  it('scans a long encoded text in one pass', () => {
    const long = `${b64('x'.repeat(300_000))}${b64(KEY)}`;
    expect(redact(long)).toBe('[X]');
    // Many lines of hex, each ending in a character that is not: no line starts a block.
    const lines = `${'ab'.repeat(30)}z\n`.repeat(7_000);
    expect(redact(lines)).toBe(lines);
  });
});

/*
 * A dump as `xxd`, `hexdump` and `od` print it: the key's hex cut by spaces (and by `od -x`'s and
 * `hexdump`'s little-endian words), its characters cut into 16-character fragments, one a line.
 */
const TOKEN = 'sk-live-0123456789abcdefghijABCDEFGHIJ01';
const redactToken = (text: string) => redactSecretForms(text, [TOKEN], '[X]', 6);

/** What this machine's tools printed for `printf 'token=${TOKEN}\n' > creds`. */
const FIXTURES: Record<string, string> = {
  xxd: `00000000: 746f 6b65 6e3d 736b 2d6c 6976 652d 3031  token=sk-live-01
00000010: 3233 3435 3637 3839 6162 6364 6566 6768  23456789abcdefgh
00000020: 696a 4142 4344 4546 4748 494a 3031 0a    ijABCDEFGHIJ01.
`,
  'xxd -g1': `00000000: 74 6f 6b 65 6e 3d 73 6b 2d 6c 69 76 65 2d 30 31  token=sk-live-01
00000010: 32 33 34 35 36 37 38 39 61 62 63 64 65 66 67 68  23456789abcdefgh
00000020: 69 6a 41 42 43 44 45 46 47 48 49 4a 30 31 0a     ijABCDEFGHIJ01.
`,
  'hexdump -C': `00000000  74 6f 6b 65 6e 3d 73 6b  2d 6c 69 76 65 2d 30 31  |token=sk-live-01|
00000010  32 33 34 35 36 37 38 39  61 62 63 64 65 66 67 68  |23456789abcdefgh|
00000020  69 6a 41 42 43 44 45 46  47 48 49 4a 30 31 0a     |ijABCDEFGHIJ01.|
0000002f
`,
  hexdump: `0000000 6f74 656b 3d6e 6b73 6c2d 7669 2d65 3130
0000010 3332 3534 3736 3938 6261 6463 6665 6867
0000020 6a69 4241 4443 4645 4847 4a49 3130 000a
000002f
`,
  'od -x': `0000000 6f74 656b 3d6e 6b73 6c2d 7669 2d65 3130
0000020 3332 3534 3736 3938 6261 6463 6665 6867
0000040 6a69 4241 4443 4645 4847 4a49 3130 000a
0000057
`,
  'od -A x -t x1z': `000000 74 6f 6b 65 6e 3d 73 6b 2d 6c 69 76 65 2d 30 31  >token=sk-live-01<
000010 32 33 34 35 36 37 38 39 61 62 63 64 65 66 67 68  >23456789abcdefgh<
000020 69 6a 41 42 43 44 45 46 47 48 49 4a 30 31 0a     >ijABCDEFGHIJ01.<
00002f
`,
};

/** Each tool's formats: the default and the groupings and byte orders a model may ask for. */
const COMMANDS = [
  ['xxd'],
  ['xxd', '-g1'],
  ['xxd', '-g4'],
  ['xxd', '-g8'],
  ['xxd', '-u'],
  ['xxd', '-e'],
  ['xxd', '-c', '24'],
  ['hexdump', '-C'],
  ['hexdump'],
  ['hexdump', '-x'],
  ['od', '-x'],
  ['od', '-t', 'x1'],
  ['od', '-A', 'x', '-t', 'x1z'],
  ['od', '-t', 'x4'],
];
const installed = installedOf(COMMANDS);

/** A dump as `xxd` prints it (16 bytes a line, 2-byte groups), for inputs too large for a fixture. */
function xxdLike(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  const chars = bytes.toString('latin1').replace(/[^ -~]/g, '.');
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const groups = hex.slice(2 * at, 2 * at + 32).replace(/(.{4})(?=.)/g, '$1 ');
    lines.push(`${at.toString(16).padStart(8, '0')}: ${groups.padEnd(39)}  ${chars.slice(at, at + 16)}\n`);
  }
  return lines.join('');
}

describe('redactSecretForms on hex dumps (xxd, hexdump, od)', () => {
  it("replaces each tool's dump whole, as printed here, though no line holds the key or its hex", () => {
    for (const [command, dump] of Object.entries(FIXTURES)) {
      const hex = Buffer.from(TOKEN).toString('hex');
      expect(dump.includes(TOKEN) || dump.replace(/\s/g, '').includes(hex), command).toBe(false);
      expect(redactToken(`$ ${command} creds\n${dump}$ ls`), command).toBe(`$ ${command} creds\n[X]\n$ ls`);
      const crlf = dump.replace(/\n/g, '\r\n');
      expect(redactToken(`out:\r\n${crlf}`), command).toBe('out:\r\n[X]\r\n');
    }
    // The same dumps of a file with another key are kept byte for byte.
    for (const [command, dump] of Object.entries(FIXTURES)) {
      expect(redactSecretForms(dump, ['sk-live-0123456789abcdefghijABCDEFGHIJ02'], '[X]', 6), command).toBe(
        dump,
      );
    }
  });

  it("reads on past a `*` line (hexdump's and od's repeated lines)", () => {
    const hexdumpC = `00000000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|
*
00000030  74 6f 6b 65 6e 3d 73 6b  2d 6c 69 76 65 2d 30 31  |token=sk-live-01|
00000040  32 33 34 35 36 37 38 39  61 62 63 64 65 66 67 68  |23456789abcdefgh|
00000050  69 6a 41 42 43 44 45 46  47 48 49 4a 30 31 0a     |ijABCDEFGHIJ01.|
0000005f
`;
    const odX = `0000000 4141 4141 4141 4141 4141 4141 4141 4141
*
0000060 6f74 656b 3d6e 6b73 6c2d 7669 2d65 3130
0000100 3332 3534 3736 3938 6261 6463 6665 6867
0000120 6a69 4241 4443 4645 4847 4a49 3130 000a
0000137
`;
    expect(redactToken(hexdumpC)).toBe('[X]\n');
    expect(redactToken(odX)).toBe('[X]\n');
    // Without the key's last line, the rest is kept.
    const cut = odX.replace(/^0000120.*\n/m, '');
    expect(redactToken(cut)).toBe(cut);
  });

  // Skipped only where none of xxd, hexdump, od runs: the literal fixtures above still test every format.
  it.skipIf(installed.length === 0)(
    'finds the key at every offset across line breaks, with the binaries installed here',
    () =>
      withScratchFile((write, dump) => {
        for (const command of installed) {
          const name = command.join(' ');
          // 40 bytes ahead make a `*` line; then the key starts at a position in a line.
          // Every position for one format of each tool, a few for the other formats (each is a process).
          const everyShift = ['xxd', 'hexdump -C', 'od -x'].includes(name);
          for (const shift of everyShift ? Array.from({ length: 16 }, (_, at) => at) : [0, 1, 7, 15]) {
            write(`${'A'.repeat(40)}${'x'.repeat(shift)}${TOKEN}\nnext line\n`);
            expect(redactToken(`$ ${name} creds\n${dump(command)}$ ls`), `${name} at ${shift}`).toBe(
              `$ ${name} creds\n[X]\n$ ls`,
            );
          }
          // Only part of the key (its last character cut): the dump is kept byte for byte.
          write(`${'A'.repeat(40)}key=${TOKEN.slice(0, -1)}\n`);
          const partial = dump(command);
          expect(redactToken(partial), name).toBe(partial);
          // Another form of it: the base64 of `user:key`, as a file holding a Basic header has it.
          write(`Authorization: Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}\n`);
          expect(redactToken(dump(command)), `${name} base64`).toBe('[X]\n');
        }
      }),
  );

  it('reads a megabyte line and a 100,000-line dump in one pass', () => {
    // By construction (one forward pass over the lines, each character read once, no regex but a
    // bounded hint): these inputs finish, and find or keep what they should.
    const groups = `0000 ${'abcd '.repeat(200_000)}`;
    expect(redactToken(groups)).toBe(groups);
    const keyGroups = (Buffer.from(TOKEN).toString('hex').match(/.{4}/g) ?? []).join(' ');
    // Only the run of dump lines holding the key goes: the line after a text line stays.
    expect(redactToken(`${groups}${keyGroups}\nend\n${groups}`)).toBe(`[X]\nend\n${groups}`);
    for (const hostile of [
      `\n0000${' '.repeat(1_000_000)}z`,
      `\n${'0'.repeat(1_000_000)} ab`,
      `\n0000 ${'a'.repeat(1_000_000)}`,
    ]) {
      expect(redactToken(hostile)).toBe(hostile);
    }
    const body = Buffer.from('0123456789abcdef'.repeat(100_000));
    const big = xxdLike(body);
    expect(big.split('\n').length).toBe(100_001);
    expect(redactToken(big)).toBe(big);
    expect(redactToken(`head\n${xxdLike(Buffer.concat([body, Buffer.from(TOKEN)]))}tail`)).toBe(
      'head\n[X]\ntail',
    );
  });

  it('reads a dump of many `*` lines without growing its buffers per line', () => {
    const secret = 'sk-test-secret-key-123456';
    const dump = `00000000 41 42\n${'*\n'.repeat(100_000)}00000010 43 44\n`;
    expect(redactSecretForms(dump, [secret], '[REDACTED]', 8)).toBe(dump);
  });
});
