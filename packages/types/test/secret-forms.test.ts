/**
 * A known secret is found in the forms it comes back in: percent-encoded, JSON-escaped, hex, and
 * base64/base64url at any byte alignment inside a longer encoded run (a proxy echoing
 * `Authorization: Basic base64(user:key)`), the run replaced whole.
 */
import { describe, expect, it } from 'vitest';
import { redactSecretForms } from '../src/index.js';

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
