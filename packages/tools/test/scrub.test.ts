import { describe, expect, it } from 'vitest';
import {
  redactHighEntropy,
  redactKeywords,
  redactLiterals,
  rewriteHostPaths,
  scrubText,
  scrubValue,
  workspacePathMapping,
} from '../src/index.js';

describe('host-path rewriting', () => {
  const mappings = [
    { from: '/home/alice/.oxydra/workspaces/alice', to: '/workspaces' },
    { from: '/home/alice/.oxydra/workspaces/alice/shared/', to: '/shared' },
  ];

  it('rewrites the longest matching host path first', () => {
    expect(rewriteHostPaths('see /home/alice/.oxydra/workspaces/alice/shared/a.md', mappings)).toBe(
      'see /shared/a.md',
    );
    expect(rewriteHostPaths('in /home/alice/.oxydra/workspaces/alice/tmp/x', mappings)).toBe(
      'in /workspaces/tmp/x',
    );
    expect(rewriteHostPaths('"/home/alice/.oxydra/workspaces/alice/shared"', mappings)).toBe('"/shared"');
  });

  it('only at path boundaries', () => {
    const text = '/home/alice/.oxydra/workspaces/alice2/x and /x/home/alice/.oxydra/workspaces/alice/y';
    expect(rewriteHostPaths(text, mappings)).toBe(text);
  });

  it('a list used again is rewritten by what it holds now (its rewrite is kept per list)', () => {
    const list = [{ from: '/srv/a', to: '/a' }];
    expect(rewriteHostPaths('/srv/a/x /srv/b/y', list)).toBe('/a/x /srv/b/y');
    expect(rewriteHostPaths('/srv/a/x /srv/b/y', list)).toBe('/a/x /srv/b/y');
    list.push({ from: '/srv/b', to: '/b' });
    expect(rewriteHostPaths('/srv/a/x /srv/b/y', list)).toBe('/a/x /b/y');
    list[0] = { from: '/srv/a', to: '/renamed' };
    expect(rewriteHostPaths('/srv/a/x /srv/b/y', list)).toBe('/renamed/x /b/y');
    (list[1] as { to: string }).to = '/b2';
    expect(rewriteHostPaths('/srv/a/x /srv/b/y', list)).toBe('/renamed/x /b2/y');
    const empty: { from: string; to: string }[] = [];
    expect(rewriteHostPaths('/srv/a/x', empty)).toBe('/srv/a/x');
    empty.push({ from: '/srv/a', to: '/a' });
    expect(rewriteHostPaths('/srv/a/x', empty)).toBe('/a/x');
  });

  describe('the workspace, as the file tools accept it', () => {
    const workspace = [workspacePathMapping('/ws')];
    const cases: [string, string, string][] = [
      ['pwd output, the root itself', '/ws\n', '.\n'],
      ['compiler output at line start', '/ws/src/a.ts:3:5: error TS2304', './src/a.ts:3:5: error TS2304'],
      ['after a word', 'error in /ws/src/a.ts', 'error in ./src/a.ts'],
      ['inside quotes', `open '/ws/out/x' and "/ws/out/y"`, `open './out/x' and "./out/y"`],
      ['the root followed by a colon', '/ws: is a directory', '.: is a directory'],
      ['with a trailing slash', 'cd /ws/ && ls', 'cd ./ && ls'],
      ['a sibling with the workspace as prefix', '/ws-other/x /ws2/y /ws.bak', '/ws-other/x /ws2/y /ws.bak'],
      ['the workspace inside another path', '/x/ws/a', '/x/ws/a'],
    ];
    it.each(cases)('%s', (_what, text, expected) => {
      expect(rewriteHostPaths(text, workspace)).toBe(expected);
    });
  });

  it('ignores a mapping of the root, which would rewrite every path', () => {
    expect(rewriteHostPaths('/etc/passwd', [{ from: '/', to: '/shared' }])).toBe('/etc/passwd');
  });
});

describe('literal secrets', () => {
  it('replaces every occurrence, longest first', () => {
    expect(redactLiterals('a sk-abcdef123 b sk-abcdef123456 c', ['sk-abcdef123', 'sk-abcdef123456'])).toBe(
      'a [REDACTED] b [REDACTED] c',
    );
  });

  it('skips values too short to be credentials', () => {
    expect(redactLiterals('the cat sat', ['cat', ''])).toBe('the cat sat');
  });

  it('replaces a hex dump (`hexdump -C`) whose lines split the key, whole', () => {
    // `hexdump -C` of `printf 'token=sk-live-0123456789abcdefghijABCDEFGHIJ01\n'`.
    const dump = [
      '00000000  74 6f 6b 65 6e 3d 73 6b  2d 6c 69 76 65 2d 30 31  |token=sk-live-01|',
      '00000010  32 33 34 35 36 37 38 39  61 62 63 64 65 66 67 68  |23456789abcdefgh|',
      '00000020  69 6a 41 42 43 44 45 46  47 48 49 4a 30 31 0a     |ijABCDEFGHIJ01.|',
      '0000002f',
    ].join('\n');
    const key = 'sk-live-0123456789abcdefghijABCDEFGHIJ01';
    expect(redactLiterals(`$ hexdump -C .env\n${dump}\n$ `, [key])).toBe('$ hexdump -C .env\n[REDACTED]\n$ ');
    expect(redactLiterals(dump, ['sk-live-another-key-not-in-this-file'])).toBe(dump);
  });
});

describe('keyword redaction', () => {
  it.each([
    ['OPENAI_API_KEY=sk-proj-abc123XYZ', 'OPENAI_API_KEY=[REDACTED]'],
    ['export api-key=abc', 'export api-key=[REDACTED]'],
    ['--api-key=abc123', '--api-key=[REDACTED]'],
    ['{"password": "hunter 2", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'],
    ["client_secret: 'abc def'", "client_secret: '[REDACTED]'"],
    ['db_passwd=letmein', 'db_passwd=[REDACTED]'],
    ['https://x.test/cb?token=abc123&state=ok', 'https://x.test/cb?token=[REDACTED]&state=ok'],
    ['credentials: AKIAEXAMPLE', 'credentials: [REDACTED]'],
    ['Authorization: Bearer abcdef123456', 'Authorization: Bearer [REDACTED]'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=Basic [REDACTED]'],
    ['curl -H "Authorization: token ghp_x1" url', 'curl -H "Authorization: token [REDACTED]" url'],
    ['echo Bearer eyJhbGciOi.payload.sig', 'echo Bearer [REDACTED]'],
  ])('%s', (input, expected) => {
    expect(redactKeywords(input)).toBe(expected);
  });

  it.each([
    'token: string;',
    'password?: string | undefined',
    'const token = getToken();',
    'let secret = config.secret',
    'password = os.environ["PW"]',
    'if (token == expected) return;',
    'max_tokens: 1024',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} placeholder is the case under test
    'secret: ${SECRET}',
    'api_key: $OPENAI_API_KEY',
    'token: z.string().min(1),',
    'tokenizer: cl100k_base',
    'The password is stored in the keychain.',
  ])('leaves code and placeholders alone: %s', (input) => {
    expect(redactKeywords(input)).toBe(input);
  });
});

// The rule itself, and what `config show` masks by it, is tested in @oxydra/types (random-token.test.ts).
describe('high-entropy tokens', () => {
  it.each([
    'sk-AbC123dEf456GhI789jKl012MnO345',
    'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
    'xoxb-2048213092-3921832471-AbCdEfGh123',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  ])('redacts %s', (token) => {
    expect(redactHighEntropy(`value ${token} end`)).toBe('value [REDACTED] end');
  });

  it.each([
    ['pure hex (a commit)', '3f2a9c1e4b5d6f708192a3b4c5d6e7f809182736'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a note id', 'note-123e4567-e89b-12d3-a456-426614174000'],
    ['a note id ending a sentence', 'note-123e4567-e89b-12d3-a456-426614174000.'],
    ['a commit ending a sentence', '3f2a9c1e4b5d6f708192a3b4c5d6e7f809182736.'],
    ['a path with three separators', 'packages/tools/src/9f8e7d6cBA54.ts'],
    ['an identifier of words', 'createV2ResponsesAdapterFromConfig'],
    ['a constant', 'ERR_INVALID_ARG_TYPE_VALUE_1234'],
    ['a model id', 'claude-3-5-sonnet-20241022'],
    ['a set-aside file, 43% words', 'kernel.db.untrusted-20261124T201500'],
    ['too short', 'aB3dE5gH7jK9'],
    ['no digits', 'ThisIsAnOrdinaryLongIdentifierName'],
  ])('leaves %s alone', (_what, token) => {
    expect(redactHighEntropy(`x ${token} y`)).toBe(`x ${token} y`);
  });

  it('ignores runs longer than 512 characters', () => {
    const long = 'aZ9'.repeat(200);
    expect(redactHighEntropy(long)).toBe(long);
  });
});

describe('scrubText', () => {
  it('leaves ordinary text and code alone', () => {
    const code = [
      "import { HeadTailBuffer } from './process/output-buffer.js';",
      'export function createCoreTools(options: CoreToolsOptions): Tool[] {',
      '  const DEFAULT_COMMAND_OUTPUT_BYTES = 64 * 1024;',
      '  // see https://github.com/shantanugoel/oxydra/blob/main/crates/tools/src/registry.rs',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source code as text
      '  return fetch(`${baseUrl}/v1/chat/completions`, { headers: { authorization } });',
      '}',
      'Run npm test, then commit 3f2a9c1 on 2024-01-01T00:00:00.000Z.',
      'base64EncodeUtf8String test_file_read_refuses_binary_2024 k8sDeploymentControllerV1beta1',
    ].join('\n');
    expect(scrubText(code)).toBe(code);
  });

  it('applies host paths, then literals, then keywords, then entropy', () => {
    const text =
      'cat /srv/ws/alice/shared/.env\nOPENAI_API_KEY=sk-live-1234567890\nid=AbC123dEf456GhI789jKl012MnO345\nmy key sk-live-1234567890';
    expect(
      scrubText(text, {
        secrets: ['sk-live-1234567890'],
        hostPaths: [{ from: '/srv/ws/alice/shared', to: '/shared' }],
      }),
    ).toBe('cat /shared/.env\nOPENAI_API_KEY=[REDACTED]\nid=[REDACTED]\nmy key [REDACTED]');
  });

  it('scrubs strings inside plain data', () => {
    expect(
      scrubValue(
        { a: ['token=abc123', 3], b: { c: 'sk-xyz-secret' }, d: null },
        { secrets: ['sk-xyz-secret'] },
      ),
    ).toEqual({
      a: ['token=[REDACTED]', 3],
      b: { c: '[REDACTED]' },
      d: null,
    });
  });
});
