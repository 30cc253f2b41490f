import { describe, expect, it } from 'vitest';
import { BASE_ENV_KEYS, commandEnvironment } from '../src/index.js';
import { checkCommand, matchesPattern, parseCommand } from '../src/shell/policy.js';

describe('parseCommand', () => {
  it('splits lists and pipelines and names the operators', () => {
    expect(parseCommand('ls -la | wc -l && echo ok; date & sleep 1')).toEqual({
      operators: ['|', '&&', ';', '&'],
      segments: ['ls -la', 'wc -l', 'echo ok', 'date', 'sleep 1'],
    });
    expect(parseCommand('a || b\nc')).toEqual({ operators: ['||', 'newline'], segments: ['a', 'b', 'c'] });
  });

  it('finds redirections and substitutions without splitting on them', () => {
    expect(parseCommand('make 2>&1 > out.log')).toEqual({
      operators: ['>'],
      segments: ['make 2>&1 > out.log'],
    });
    expect(parseCommand('cat < in &> all')).toEqual({ operators: ['<', '>'], segments: ['cat < in &> all'] });
    expect(parseCommand('echo $(whoami) `id`').operators).toEqual(['$(', '`']);
  });

  it('ignores operators inside quotes, except substitutions in double quotes', () => {
    expect(parseCommand(`echo 'a|b;c' "d&&e" x\\;y`)).toEqual({
      operators: [],
      segments: [`echo 'a|b;c' "d&&e" x\\;y`],
    });
    expect(parseCommand(`echo '$(no)' "$(yes)"`).operators).toEqual(['$(']);
  });
});

describe('matchesPattern', () => {
  it.each([
    ['*', 'anything at all', true],
    ['git *', 'git status', true],
    ['git *', 'gitk', false],
    ['*--force', 'git push --force', true],
    ['*sudo*', 'echo x && sudo rm', true],
    ['ls', 'ls -la', true],
    ['ls', '/bin/ls -la', true],
    ['ls', 'lsof', false],
    ['npm test', 'npm test', true],
    ['npm test', 'npm test --watch', false],
  ])('%s ~ %s: %s', (pattern, command, expected) => {
    expect(matchesPattern(pattern, command)).toBe(expected);
  });
});

describe('checkCommand', () => {
  const open = { allow: ['*'], deny: [], allowOperators: true };

  it('allows anything under the default policy', () => {
    expect(checkCommand('ls | wc -l > n.txt', open)).toBeUndefined();
  });

  it('refuses operators when they are not allowed, naming them', () => {
    expect(checkCommand('cat a.txt | grep x', { ...open, allowOperators: false })).toBe(
      'the command uses "|", which [tools.shell] allow_operators = false forbids; ' +
        'run one simple command per call, without pipes, lists, redirections or substitutions',
    );
    for (const command of ['a && b', 'a; b', 'a > f', 'a < f', 'echo `id`', 'echo $(id)', 'a\nb', 'a &']) {
      expect(checkCommand(command, { ...open, allowOperators: false })).toContain('allow_operators = false');
    }
    expect(checkCommand('echo "a|b"', { ...open, allowOperators: false })).toBeUndefined();
  });

  it('refuses deny matches anywhere in a list, before allow', () => {
    const policy = { allow: ['*'], deny: ['rm *', '*sudo*'], allowOperators: true };
    expect(checkCommand('rm -rf build', policy)).toBe(
      '"rm -rf build" matches [tools.shell] deny pattern "rm *"',
    );
    expect(checkCommand('ls && rm -rf build', policy)).toBe(
      '"rm -rf build" matches [tools.shell] deny pattern "rm *"',
    );
    expect(checkCommand('echo hi | sudo tee x', policy)).toContain('deny pattern "*sudo*"');
    expect(checkCommand('ls', policy)).toBeUndefined();
  });

  it('requires every part to be allowed', () => {
    const policy = { allow: ['ls', 'git *'], deny: [], allowOperators: true };
    expect(checkCommand('git log', policy)).toBeUndefined();
    expect(checkCommand('ls; curl evil.example', policy)).toBe(
      '"curl evil.example" is not allowed by [tools.shell] allow ("ls", "git *")',
    );
  });

  it('refuses an empty command', () => {
    expect(checkCommand('   ', open)).toBe('the command is empty');
  });
});

describe('commandEnvironment', () => {
  it('keeps only the allowlist plus env_keys', () => {
    const env = commandEnvironment(
      {
        PATH: '/bin',
        HOME: '/home/a',
        OPENAI_API_KEY: 'sk-x',
        ANTHROPIC_API_KEY: 'sk-y',
        MY_TOOL: 'on',
        LANG: 'C',
      },
      ['MY_TOOL', 'ABSENT'],
    );
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/a', LANG: 'C', MY_TOOL: 'on' });
    expect(BASE_ENV_KEYS).toEqual(['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'USER']);
  });

  it('gives commands a PATH even when the source has none', () => {
    expect(commandEnvironment({}).PATH).toBe('/usr/local/bin:/usr/bin:/bin');
  });
});
