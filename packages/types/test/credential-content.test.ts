/**
 * credentialIn: what a file sent to a chat is checked for (channels' files.ts). The credentials
 * Oxydra does not hold (a database URL's password, an SSH key, AWS and npm credentials, a
 * kubeconfig) are found; ordinary files that name a token, a key or a password are not.
 */
import { describe, expect, it } from 'vitest';
import { credentialIn } from '../src/index.js';

const PEM = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

describe('credentialIn (a file with credentials Oxydra does not hold)', () => {
  it.each([
    [
      'a .env with a database URL',
      'NODE_ENV=production\nDATABASE_URL=postgres://u:pw@h/db\n',
      'a password in a URL, line 2',
    ],
    ['an SSH key', PEM, 'a private key (PEM block)'],
    [
      'a value with a trailing comment after many blanks',
      `DB_PASSWORD=hunter2${' '.repeat(8000)}# the staging one\n`,
      'a value for DB_PASSWORD, line 1',
    ],
    [
      'a TLS key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n',
      'a private key (PEM block)',
    ],
    ['a PGP secret key', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ\n', 'a private key (PEM block)'],
    [
      '~/.aws/credentials',
      '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
      'a key shaped like an API key, line 2',
    ],
    [
      'AWS credentials without the id',
      '[p]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz\n',
      'a value for aws_secret_access_key, line 2',
    ],
    [
      'an .npmrc',
      'registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_Zq1vT\n',
      'a value for //registry.npmjs.org/:_authToken, line 2',
    ],
    ['an .npmrc _auth', '_auth=dXNlcjpwYXNz\n', 'a value for _auth, line 1'],
    [
      'a kubeconfig',
      'users:\n- name: admin\n  user:\n    client-key-data: TFMwdExTMUNSVWRKVGlCU1UwRWdVRkpKVmtGVVJTQkxSVmt0TFMwdExRbz0=\n',
      'a value for client-key-data, line 4',
    ],
    [
      'a kubeconfig token',
      'users:\n- name: ci\n  user:\n    token: eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n',
      'a value for token, line 4',
    ],
    ['PASSWORD=', 'export DB_PASSWORD="hunter2"\n', 'a value for DB_PASSWORD, line 1'],
    ['JSON', '{\n  "apiKey": "1234abcd",\n  "n": 1\n}\n', 'a value for apiKey, line 2'],
    [
      'a generic key with a random value',
      'STRIPE_KEY=Zq8fK2mW9xLp4RtV7nB3cY6dH1sJ0gQe\n',
      'a value for STRIPE_KEY, line 1',
    ],
    [
      'a vendor key anywhere',
      'use ghp_16C7e42F292c6912E7710c838347Ae178B4a for the push\n',
      'a key shaped like an API key, line 1',
    ],
    [
      'a URL password in prose',
      'connect with mysql://root:s3cret@db.internal:3306/app today',
      'a password in a URL, line 1',
    ],
  ])('finds %s', (_name, text, found) => {
    expect(credentialIn(text)).toBe(found);
  });

  it.each([
    [
      'a README naming a token',
      '# Setup\n\nThe token: see below.\nSet TOKEN in your shell, then run `make`.\nA token is needed.\n',
    ],
    [
      'an example .env',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a .env's reference to a variable, not a template
      'API_KEY=\nPASSWORD=<your password>\nTOKEN=${TOKEN}\nSECRET=changeme\nDATABASE_URL=postgres://user:password@localhost/db\n',
    ],
    [
      'counts and settings',
      'max_tokens = 4096\ntoken_ttl: 3600\npassword_file: /run/secrets/db\nsort_key: name\n',
    ],
    [
      'code reading a secret',
      'token = os.environ["TOKEN"]\npassword = getpass()\nconst apiKey = process.env.API_KEY;\n',
    ],
    ['a type', 'interface Login {\n  password: string;\n  token: string\n}\n'],
    [
      'a lock file',
      '"integrity": "sha512-Zq8fK2mW9xLp4RtV7nB3cY6dH1sJ0gQeZq8fK2mW9xLp4RtV7nB3cY6dH1sJ0gQe==",\n"key": "0123456789abcdef0123456789abcdef"\n',
    ],
    ['URLs and addresses', 'see https://example.com/a:b, mail me at a@b.c, ssh git@github.com\n'],
    ['a masked key', 'OPENAI_API_KEY=sk-****\nuse sk-xxxxxxxxxxxx here\n'],
    ['prose about keys', 'The public key: paste it into GitHub.\nA private key must never be shared.\n'],
  ])('passes %s', (_name, text) => {
    expect(credentialIn(text)).toBeUndefined();
  });

  it('names the key, never the value, and only plain characters', () => {
    const found = credentialIn(`${'\u001b[31m'.repeat(3)}PASSWORD=hunter2-value\n`) ?? '';
    expect(found).not.toContain('hunter2');
    expect(found).not.toContain('\u001b');
  });

  it('reads a hostile line in linear time', () => {
    const text = `${'a:'.repeat(200_000)}\n${'x://'.repeat(100_000)}\n${'='.repeat(200_000)}`;
    expect(credentialIn(text)).toBeUndefined();
  });
});
