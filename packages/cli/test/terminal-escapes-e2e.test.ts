/**
 * A cloned repository's files (and what a model or a server wrote into the workspace's records:
 * schedules, notes, tokens, the gateway's log, a session's answers) cannot drive the user's
 * terminal through the CLI's human output: through the real binary, on a
 * hostile workspace, no raw ESC, BEL, C1 control or bidi override reaches stdout or stderr, and
 * where a person must see what is there (an error naming a bad key, the held-back notice, the
 * trust question, a list of what the workspace offers) the escape is written out (`\x1b`).
 * TOML and YAML both let a file hold these as `\u001b` escapes, in strings and quoted keys.
 */
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelFixtures } from '@oxydra/kernel/testing/fixture-paths';
import { hasTerminalControls } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { type CliResult, CliSandbox, endedAfterEach } from './helpers.js';

const PROGRAM = kernelFixtures('programs', 'repo-digest');

/** An OSC window-title sequence (an OSC 52 clipboard write is the same shape), as a TOML/YAML escape. */
const OSC = '\\u001b]0;PWNED\\u0007';
/** How the CLI shows it written out. */
const OSC_SHOWN = '\\x1b]0;PWNED\\x07';

const ended = endedAfterEach();

/** Neither stream holds a control (but newline and tab) or an invisible format character. */
function expectInert(result: CliResult): void {
  expect(hasTerminalControls(result.stdout), result.stdout).toBe(false);
  expect(hasTerminalControls(result.stderr), result.stderr).toBe(false);
}

describe("a cloned repository's configuration on the terminal", () => {
  it('an unknown key is named with its escapes written out, in `config validate` and `run`', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    sandbox.write('.oxydra/agent.toml', `"bogus${OSC}" = 1\n"csi\\u009b31m\\u202eexe" = 2\n`);
    for (const args of [
      ['config', 'validate'],
      ['run', 'hello'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status).toBe(2);
      expectInert(result);
      expect(result.stderr).toMatch(/^error: 2 configuration problems:\n {2}- /);
      expect(result.stderr).toContain(`unknown key "bogus${OSC_SHOWN}"`);
      expect(result.stderr).toContain('unknown key "csi\\x9b31m\\u202eexe"');
    }
  });

  it('a held-back registry entry is written out in the notice, in doctor and in the trust question', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    sandbox.write(
      '.oxydra/agent.toml',
      `[providers.registry."ev${OSC}il"]\nprovider_type = "openai"\nbase_url = "https://example.com/v1\\u202e"\n`,
      { trust: false },
    );
    const key = `providers.registry.ev${OSC_SHOWN}il.base_url`;
    const validate = sandbox.run('config', 'validate');
    expect(validate.status).toBe(0);
    expectInert(validate);
    expect(validate.stderr).toContain(`held back 1 setting of ${sandbox.workspace}/.oxydra`);
    expect(validate.stderr).toContain(`: ${key}. Review and trust them`);

    const doctor = sandbox.run('doctor');
    expectInert(doctor);
    expect(doctor.stdout).toMatch(/^\[warn\] trust +not trusted: held back .*il\.base_url$/m);
    expect(doctor.stdout).toContain(key);

    // `oxydra trust --yes` prints the question's list: the value a person trusts, exactly.
    const trust = sandbox.run('trust', '--yes');
    expect(trust.status).toBe(0);
    expectInert(trust);
    expect(trust.stdout).toContain(`  ${key} = "https://example.com/v1\\u202e"`);
  });

  it('config show and config get write out what TOML leaves raw (C1 controls, bidi overrides)', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    sandbox.write(
      '.oxydra/agent.toml',
      '[providers.registry."ev\\u009b31mil"]\nprovider_type = "openai"\nbase_url = "https://example.com/v1\\u202e"\n',
    );
    const show = sandbox.run('config', 'show', '--sources');
    expect(show.status).toBe(0);
    expectInert(show);
    expect(show.stdout).toContain('"ev\\x9b31mil"');
    expect(show.stdout).toContain('https://example.com/v1\\u202e');
    expect(show.stdout).toContain('# providers.registry.ev\\x9b31mil.base_url <- ');

    const get = sandbox.run('config', 'get', 'providers.registry.ev\u009b31mil.base_url');
    expect(get.status).toBe(0);
    expectInert(get);
    expect(get.stdout).toBe('https://example.com/v1\\u202e\n');
    // --json stays the exact value.
    const json = sandbox.run('config', 'get', 'providers.registry.ev\u009b31mil.base_url', '--json');
    expect(JSON.parse(json.stdout)).toBe('https://example.com/v1\u202e');
  });
});

describe("what a cloned repository's workspace offers, listed", () => {
  it('skills list and show: the description written out, the body drawn without its controls', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    sandbox.write(
      '.oxydra/skills/evil/SKILL.md',
      `---\nname: evil\ndescription: "Helps${OSC} with \\u202eexe.txt"\n---\nStep one\u001b]52;c;cm0gLXJmIH4K\u0007 done.\n`,
    );
    const list = sandbox.run('skills', 'list');
    expect(list.status).toBe(0);
    expectInert(list);
    expect(list.stdout).toMatch(/^evil +workspace +Helps\\x1b\]0;PWNED\\x07 with \\u202eexe\.txt$/m);

    const show = sandbox.run('skills', 'show', 'evil');
    expect(show.status).toBe(0);
    expectInert(show);
    expect(show.stdout).toContain(`about     Helps${OSC_SHOWN} with \\u202eexe.txt\n`);
    expect(show.stdout).toContain('Step one done.');

    const json = JSON.parse(sandbox.run('skills', 'list', '--json').stdout) as {
      name: string;
      description: string;
    }[];
    expect(json.find((skill) => skill.name === 'evil')?.description).toBe(
      'Helps\u001b]0;PWNED\u0007 with \u202eexe.txt',
    );
  });

  it("programs list and persona list/show: a manifest's and a character file's text written out", () => {
    const sandbox = ended.sandbox(new CliSandbox());
    const program = join(sandbox.root, 'program');
    cpSync(PROGRAM, program, { recursive: true });
    const manifest = readFileSync(join(program, 'program.toml'), 'utf8')
      .replace(/description = ".*"/, `description = "Digests${OSC}"`)
      .replace(/required = \[.*\]/, 'required = []');
    writeFileSync(join(program, 'program.toml'), manifest);
    const install = sandbox.run('programs', 'install', program);
    expect(install.status).toBe(0);
    expectInert(install);
    const programs = sandbox.run('programs', 'list');
    expect(programs.status).toBe(0);
    expectInert(programs);
    expect(programs.stdout).toMatch(/^repo-digest +1\.0\.0 +enabled +Digests\\x1b\]0;PWNED\\x07/m);

    sandbox.write(
      '.oxydra/personas/ev.toml',
      `name = "Sally${OSC}"\nbio = ["Says \\u202eexe.txt\\u001b[2J"]\n`,
    );
    const personas = sandbox.run('persona', 'list');
    expect(personas.status).toBe(0);
    expectInert(personas);
    expect(personas.stdout).toMatch(/^ +ev +workspace +Sally\\x1b\]0;PWNED\\x07$/m);
    const shown = sandbox.run('persona', 'show', 'ev');
    expect(shown.status).toBe(0);
    expectInert(shown);
    expect(shown.stdout).toMatch(/^name +Sally\\x1b\]0;PWNED\\x07$/m);
    expect(shown.stdout).toContain('Says exe.txt');
  });
});

describe('what a server says, listed', () => {
  it("mcp list, mcp tools and a kernel's warning write out a failing server's own words", () => {
    const sandbox = ended.sandbox(new CliSandbox());
    // The server's stderr is quoted in its health line: a server (or what it fetched) writes it.
    sandbox.write(
      '.oxydra/agent.toml',
      '[mcp]\nstart_timeout_secs = 3\n[mcp.servers.evil]\ncommand = "sh"\nargs = ["-c", "printf \'\\\\033]0;PWNED\\\\007 \\\\342\\\\200\\\\256boom\\\\n\' >&2; exit 3"]\n',
    );
    for (const command of ['list', 'tools']) {
      const result = sandbox.run('mcp', command);
      expect(result.status).toBe(1);
      expectInert(result);
      expect(result.stdout).toContain(`server said: ${OSC_SHOWN} \\u202eboom`);
    }
    // Any other command opening a kernel gets the kernel's warning about it, on one line.
    const plugins = sandbox.run('plugins', 'list');
    expect(plugins.status).toBe(0);
    expectInert(plugins);
    expect(plugins.stderr).toContain(`warning: mcp:evil did not start: `);
    expect(plugins.stderr).toContain(`server said: ${OSC_SHOWN} \\u202eboom\n`);
  });
});

describe('records others wrote, listed', () => {
  it('schedule list/show, memory list, token list and audit list write out a prompt, a note and a label', () => {
    const sandbox = ended.sandbox(new CliSandbox());
    sandbox.write('.oxydra/agent.toml', '[scheduler]\nenabled = true\n');
    // A model's schedule tool writes the prompt as it likes; the CLI's argument stands in for it.
    const added = sandbox.run(
      'schedule',
      'add',
      '--every',
      '1h',
      '--name',
      'nightly',
      'Summarize \u001b]52;c;cm0gLXJmIH4K\u0007\u009b2J \u202etxt.exe',
    );
    expect(added.status).toBe(0);
    expectInert(added);
    const show = sandbox.run('schedule', 'show', 'nightly');
    expect(show.status).toBe(0);
    expectInert(show);
    expect(show.stdout).toMatch(/^prompt +Summarize \\x1b\]52;c;cm0gLXJmIH4K\\x07\\x9b2J \\u202etxt\.exe$/m);

    expect(sandbox.run('memory', 'add', 'remember \u001b[8mhidden\u009b0m and \u202eexe').status).toBe(0);
    const notes = sandbox.run('memory', 'list');
    expect(notes.status).toBe(0);
    expectInert(notes);
    expect(notes.stdout).toContain('remember \\x1b[8mhidden\\x9b0m and \\u202eexe');

    // A token's label (an admin request over the gateway sets one too) in token list and the audit chain.
    expect(
      sandbox.run('token', 'add', '--user', 'bob', '--label', 'ci \u001b]0;PWNED\u0007\u009b2J').status,
    ).toBe(0);
    const tokens = sandbox.run('token', 'list');
    expectInert(tokens);
    expect(tokens.stdout).toContain(`ci ${OSC_SHOWN}\\x9b2J`);
    const audit = sandbox.run('audit', 'list');
    expect(audit.status).toBe(0);
    expectInert(audit);
    expect(audit.stdout).toMatch(/token_add .*"label":"ci \\u001b\]0;PWNED\\u0007\\x9b2J"/);
  });

  it("oxydra logs writes out a stored line's controls, in its message, its fields and a foreign line", () => {
    const sandbox = ended.sandbox(new CliSandbox());
    const record = {
      time: '2026-11-28T01:00:00.000Z',
      level: 'warn',
      msg: 'client said \u001b]0;PWNED\u0007 and \u202eexe',
      host: 'ev\u009b31mil',
    };
    const path = sandbox.write(
      '.oxydra/logs/gateway.log',
      `${JSON.stringify(record)}\nnot ours \u009b2J \u202e\n`,
    );
    chmodSync(path, 0o600);
    const logs = sandbox.run('logs');
    expect(logs.status).toBe(0);
    expectInert(logs);
    expect(logs.stdout).toContain('WARN  client said \\x1b]0;PWNED\\x07 and \\u202eexe host="ev\\x9b31mil"');
    expect(logs.stdout).toContain('not ours \\x9b2J \\u202e');
  });
});

describe("a model's text, stored", () => {
  it('sessions list and show draw a stored answer without its controls; --json keeps it exact', async () => {
    const answer = 'Done\u001b]52;c;cm0gLXJmIH4K\u0007 with \u009b2J\u202eexe.txt';
    const env = ended.env(await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: answer }, times: 'always' }]));
    const run = await env.run(['run', '--session', 'hostile', 'Ask \u001b]0;PWNED\u0007 this']);
    expect(run.status).toBe(0);
    const list = await env.run(['sessions', 'list']);
    expectInert(list);
    expect(list.stdout).toContain('Ask this');
    const show = await env.run(['sessions', 'show', 'hostile']);
    expect(show.status).toBe(0);
    expectInert(show);
    expect(show.stdout).toContain('Done with exe.txt');
    const json = await env.run(['sessions', 'show', '--json', 'hostile']);
    expect(json.stdout).toContain(JSON.stringify(answer).slice(1, -1));
  });
});
