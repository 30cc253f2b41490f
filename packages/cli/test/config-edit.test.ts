/**
 * Issue 31, item 9: `oxydra config get|set|unset` through the real binary. A set keeps the
 * file's comments and layout, is checked against the schema and the whole configuration before
 * anything is written (a bad value or key: exit 2, the file as it was), and --user writes the
 * user's file; unset removes one key and nothing else; get prints the effective value, masked.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, IS_ROOT, WORKSPACE_OWNER } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

const ORIGINAL = `# My agent: keep this comment
[selection]
provider = "openai"   # the hosted one
model = "gpt-4o-mini"

# Limits I chose
[runtime]
max_turns = 40
`;

describe('oxydra config get|set|unset', () => {
  it('sets and removes one key keeping comments, refuses what would not load, and reads values back', () => {
    sandbox = new CliSandbox({ OPENAI_API_KEY: 'sk-config-edit-secret-0123456789' });
    const file = sandbox.write('.oxydra/agent.toml', ORIGINAL);

    const set = sandbox.run('config', 'set', 'runtime.max_turns', '12');
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(set.stdout).toBe(`set runtime.max_turns in ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL.replace('max_turns = 40', 'max_turns = 12'));
    expect(sandbox.run('config', 'get', 'runtime.max_turns').stdout).toBe('12\n');
    // Sudo editing a person's file leaves it theirs.
    if (IS_ROOT) expect(statSync(file).uid).toBe(WORKSPACE_OWNER.uid);

    // A new key in a new table, then a table read back whole.
    expect(sandbox.run('config', 'set', 'runtime.turn_timeout_secs', '90').status).toBe(0);
    expect(sandbox.run('config', 'get', 'runtime', '--json').stdout).toContain('"turn_timeout_secs": 90');
    expect(readFileSync(file, 'utf8')).toContain('# Limits I chose\n[runtime]\nmax_turns = 12');

    // Refused before writing: a value of the wrong type, a value the schema forbids, an unknown key.
    const before = readFileSync(file, 'utf8');
    const wrongType = sandbox.run('config', 'set', 'runtime.max_turns', 'many');
    expect(wrongType.status).toBe(2);
    expect(wrongType.stderr).toMatch(/^error: .*runtime\.max_turns.*/);
    expect(wrongType.stderr).not.toMatch(/\n\s+at /);
    expect(sandbox.run('config', 'set', 'runtime.max_turns', '0').status).toBe(2);
    const unknown = sandbox.run('config', 'set', 'runtime.max_turn', '5');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('did you mean "max_turns"');
    expect(readFileSync(file, 'utf8')).toBe(before);

    // unset: the key goes, the comments and the rest stay.
    expect(sandbox.run('config', 'unset', 'runtime.turn_timeout_secs').stdout).toBe(
      `removed runtime.turn_timeout_secs from ${file}\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL.replace('max_turns = 40', 'max_turns = 12'));
    expect(sandbox.run('config', 'unset', 'runtime.turn_timeout_secs').stdout).toContain('nothing to remove');
    expect(sandbox.run('config', 'get', 'runtime.turn_timeout_secs').stdout).toBe('60\n');

    // --user writes the user's file; get shows the effective value, a secret masked.
    const user = sandbox.run(
      'config',
      'set',
      '--user',
      'providers.registry.openai.api_key',
      'sk-user-file-0123456789',
    );
    expect(user.status).toBe(0);
    const userFile = join(sandbox.home, '.config', 'oxydra', 'agent.toml');
    expect(readFileSync(userFile, 'utf8')).toContain('api_key = "sk-user-file-0123456789"');
    expect(statSync(userFile).mode & 0o777).toBe(0o600);
    const shown = sandbox.run('config', 'get', 'providers.registry.openai.api_key');
    expect(shown.stdout).not.toContain('sk-user-file');
    expect(sandbox.run('config', 'get', 'selection.nope').status).toBe(2);
  });

  it('an unknown key, in a fresh home with no config: set, get and unset each say so (exit 2), with "did you mean" or the keys there', () => {
    sandbox = new CliSandbox();
    const file = join(sandbox.workspace, '.oxydra', 'agent.toml');
    for (const command of ['set', 'get', 'unset']) {
      const args = command === 'set' ? ['nonsense.key', 'value'] : ['nonsense.key'];
      const far = sandbox.run('config', command, ...args);
      expect(far.status, command).toBe(2);
      // Nothing close: the top level's sections are listed, and the command that lists every key.
      expect(far.stderr, command).toMatch(
        new RegExp(
          `^error: config ${command}( nonsense\\.key)?: unknown key "nonsense" in \\(top level\\); the keys there: config_version, selection, providers, runtime, `,
        ),
      );
      expect(far.stderr, command).toContain('hint: `oxydra config show` lists every key with its value');
      expect(far.stdout, command).toBe('');
      const close = sandbox.run(
        'config',
        command,
        ...(command === 'set' ? ['runtme.max_turns', '5'] : ['runtme.max_turns']),
      );
      expect(close.status, command).toBe(2);
      expect(close.stderr, command).toContain(
        'unknown key "runtme" in (top level) (did you mean "runtime"?)',
      );
      expect(close.stderr, command).not.toContain('the keys there');
      const inSection = sandbox.run(
        'config',
        command,
        ...(command === 'set' ? ['runtime.bogus', '5'] : ['runtime.bogus']),
      );
      expect(inSection.stderr, command).toMatch(
        /unknown key "runtime\.bogus" in runtime; the keys there: .*max_turns/,
      );
    }
    expect(() => readFileSync(file)).toThrow();
  });

  it("keeps trust with the user's own change, but never trusts a workspace the user had not", () => {
    sandbox = new CliSandbox();
    // A cloned repository's config, never trusted: the user's change does not trust it for them.
    sandbox.write('.oxydra/agent.toml', '[plugins.load.evil]\nfrom = "./evil.js"\n', { trust: false });
    const set = sandbox.run('config', 'set', 'runtime.turn_timeout_secs', '90');
    expect(set.status).toBe(0);
    expect(set.stderr).toMatch(/held back/);
    expect(sandbox.run('config', 'get', 'runtime.turn_timeout_secs').stdout).toBe('60\n');
    expect(sandbox.run('config', 'get', 'plugins.load', '--json').stdout).toBe('{}\n');
  });
});
