import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox;
afterEach(() => sandbox?.cleanup());

describe('oxydra binary', () => {
  it('prints its version from package.json', () => {
    sandbox = new CliSandbox();
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
    for (const flag of ['--version', '-V']) {
      const result = sandbox.run(flag);
      expect(result).toMatchObject({ status: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('lists its commands in --help', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('--help');
    expect(result.status).toBe(0);
    for (const command of ['config', 'init', 'doctor', 'models', 'mock-llm'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('exits 2 with one line for an unknown command or flag, suggesting the right one', () => {
    sandbox = new CliSandbox();
    const command = sandbox.run('confg');
    expect(command.status).toBe(2);
    expect(command.stderr.trim().split('\n')).toHaveLength(2);
    expect(command.stderr).toContain("unknown command 'confg'");
    expect(command.stderr).toContain('Did you mean config?');
    const flag = sandbox.run('config', 'show', '--jsn');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("unknown option '--jsn'");
  });

  it('`help X` is `X --help`, and a mistyped X is named with its "Did you mean" (exit 2)', () => {
    sandbox = new CliSandbox();
    const known = sandbox.run('help', 'schedule', 'add');
    expect(known.status).toBe(0);
    expect(known.stdout).toMatch(/^Usage: oxydra schedule add /);
    const typo = sandbox.run('help', 'sesions');
    expect(typo.status).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain("unknown command 'sesions'");
    expect(typo.stderr).toContain('Did you mean sessions?');
    const none = sandbox.run('help', 'nope');
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("error: unknown command 'nope'\n  hint: `oxydra --help` shows its usage\n");
  });

  it('--help shows no internal defaults: --set reads "(repeatable)", not "(default: [])"', () => {
    sandbox = new CliSandbox();
    for (const command of ['run', 'doctor', 'config show']) {
      const help = sandbox.run(...command.split(' '), '--help');
      expect(help.stdout).toMatch(/--set <key=value> +override any config key/);
      expect(help.stdout, command).not.toContain('(default: [])');
    }
  });

  // A first day's typo: `--store nope` used to be refused as "not a postgres:// URL", never
  // naming libsql. Every command with --store reads it through one place (config-flags.ts).
  it('refuses a --store that is neither a backend nor a URL in one line naming the three forms, exit 2', () => {
    sandbox = new CliSandbox();
    const line =
      'error: --store "nope" is not a store: use --store libsql (the embedded file, the default), --store postgres (its URL in $OXYDRA_STORE_URL) or --store postgres://user@host:5432/database\n';
    for (const args of [
      ['run', '--store', 'nope', 'hi'],
      ['sessions', 'list', '--store', 'nope'],
      ['store', 'status', '--store', 'nope'],
      ['config', 'show', '--store', 'nope'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toBe(line);
    }
    // Another database's URL is refused the same way, its password never said.
    const url = sandbox.run('run', '--store', 'mysql://me:hunter2@db/app', 'hi');
    expect(url.status).toBe(2);
    expect(url.stderr).toBe(line.replace('"nope"', 'mysql://…'));
  });

  it('names where the usage is when it has no suggestion to make', () => {
    sandbox = new CliSandbox();
    const cases: [string[], string, string][] = [
      [['run', '--bogus', 'hi'], "unknown option '--bogus'", 'oxydra run --help'],
      [['run'], "missing required argument 'prompt'", 'oxydra run --help'],
      [['--trust', 'config', 'get'], "missing required argument 'key'", 'oxydra config get --help'],
      [['frobnicate'], "unknown command 'frobnicate'", 'oxydra --help'],
    ];
    for (const [args, error, usage] of cases) {
      const result = sandbox.run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toBe(`error: ${error}\n  hint: \`${usage}\` shows its usage\n`);
    }
    // A group alone prints its help, which is the usage: no hint under it.
    const group = sandbox.run('sessions');
    expect(group.status).toBe(2);
    expect(group.stderr).toContain('Usage: oxydra sessions');
    expect(group.stderr).not.toContain('hint:');
  });
});

describe('oxydra config', () => {
  it('shows the effective configuration as TOML and as JSON', () => {
    sandbox = new CliSandbox({ OXYDRA__RUNTIME__MAX_TURNS: '9' });
    sandbox.write('.oxydra/agent.toml', '[selection]\nmodel = "gpt-4.1-mini"\n');
    const toml = sandbox.run('config', 'show');
    expect(toml.status).toBe(0);
    expect(toml.stdout).toContain('model = "gpt-4.1-mini"');
    expect(toml.stdout).toContain('max_turns = 9');
    expect(toml.stdout).toContain('# environment: OXYDRA__RUNTIME__MAX_TURNS');
    const json = JSON.parse(sandbox.run('config', 'show', '--json', '--model', 'o4-mini').stdout);
    expect(json.selection.model).toBe('o4-mini');
    expect(json.runtime.max_turns).toBe(9);
  });

  it('masks every secret, including keys set through the environment and flags', () => {
    sandbox = new CliSandbox({
      OXYDRA__PROVIDERS__REGISTRY__OPENAI__API_KEY: 'sk-env-secret-value',
      OXYDRA__MEMORY__AUTH_TOKEN: 'libsql-env-token',
    });
    sandbox.write(
      '.oxydra/providers.toml',
      '[providers.registry.anthropic]\nprovider_type = "anthropic"\napi_key = "sk-ant-file-secret"\nextra_headers = { Authorization = "Bearer hdr-secret" }\n',
    );
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
      ['config', 'show', '--sources'],
      ['config', 'show', '--set', 'providers.registry.gemini.api_key=flag-secret'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status, args.join(' ')).toBe(0);
      for (const secret of [
        'sk-env-secret-value',
        'libsql-env-token',
        'sk-ant-file-secret',
        'hdr-secret',
        'flag-secret',
      ]) {
        expect(result.stdout, `${args.join(' ')} leaks ${secret}`).not.toContain(secret);
      }
      expect(result.stdout).toContain('********');
    }
  });

  it("masks an MCP server's args that are credentials by their shape, however passed", () => {
    sandbox = new CliSandbox();
    const secrets = [
      'sk-live-abc123def456ghi789jkl',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'xoxb-1234567890-abcdefghijkl',
      'AKIAIOSFODNN7EXAMPLE',
      'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NTY3OA==',
      'xyz-inline-token',
    ];
    sandbox.write(
      '.oxydra/agent.toml',
      `[mcp.servers.tools]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-github", "${secrets[0]}", "${secrets[1]}", "--slack=${secrets[2]}", "AWS_KEY_ID=${secrets[3]}", "${secrets[4]}", "--token=${secrets[5]}"]\n`,
    );
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status, args.join(' ')).toBe(0);
      for (const secret of secrets)
        expect(result.stdout, `${args.join(' ')} leaks ${secret}`).not.toContain(secret);
      expect(result.stdout).toContain('@modelcontextprotocol/server-github');
      expect(result.stdout).toContain('--slack=********');
    }
  });

  // Tools are `<server>__<tool>`: server `a__b` with tool `c` and server `a` with tool `b__c`
  // (or `a_` with `b`, and `a` with `_b`) made one name, and the second server lost the tool.
  it('refuses an MCP server name holding "__" or ending in "_" in one line naming the rule, exit 2', () => {
    sandbox = new CliSandbox();
    const rule =
      'is not allowed: use 1-32 letters, digits, "_" or "-", with no "__" and no "_" at the end (a tool is named <server>__<tool>)';
    for (const name of ['a__b', 'a_']) {
      const file = sandbox.write('.oxydra/agent.toml', `[mcp.servers.${name}]\ncommand = "true"\n`);
      const result = sandbox.run('config', 'validate');
      expect(result.status, name).toBe(2);
      expect(result.stderr, name).toBe(`error: ${file}: mcp.servers.${name}: the name "${name}" ${rule}\n`);
    }
    sandbox.write('.oxydra/agent.toml', '[mcp.servers.a_b-c]\ncommand = "true"\n');
    expect(sandbox.run('config', 'validate').status).toBe(0);
  });

  it('annotates where each key came from with --sources', () => {
    sandbox = new CliSandbox({ OXYDRA__RUNTIME__MAX_TURNS: '9' });
    const file = sandbox.write('.oxydra/agent.toml', '[selection]\nmodel = "gpt-4.1-mini"\n');
    const result = sandbox.run('config', 'show', '--sources');
    expect(result.stdout).toContain(`# selection.model <- ${file}`);
    expect(result.stdout).toContain('# runtime.max_turns <- environment variable OXYDRA__RUNTIME__MAX_TURNS');
  });

  it('validates the configuration, exiting 2 with every problem and no stack trace', () => {
    sandbox = new CliSandbox();
    const ok = sandbox.run('config', 'validate');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok: agent configuration is valid');
    const file = sandbox.write(
      '.oxydra/agent.toml',
      '[runtime]\nmax_turn = 3\n[memory.retrieval]\ntop_k = 0\n',
    );
    const bad = sandbox.run('config', 'validate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('error: 2 configuration problems:');
    expect(bad.stderr).toContain(`${file}: unknown key "runtime.max_turn" (did you mean "max_turns"?)`);
    expect(bad.stderr).toContain(`${file}: memory.retrieval.top_k = 0 is out of range: must be >= 1`);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a TOML syntax error with file, line and column, the line with a caret, and the fix', () => {
    sandbox = new CliSandbox();
    const file = sandbox.write('.oxydra/agent.toml', '[runtime\nmax_turns = 3\n');
    const result = sandbox.run('config', 'show');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `error: ${file}:1:9: invalid TOML: illegal character in key\n  1 | [runtime\n    |         ^\n  hint: a table's name is closed on its line: [runtime]\n`,
    );
  });

  // The user's own file may hold their key: a slip on its line must not print it.
  it('never prints the value of a key line with a syntax error', () => {
    sandbox = new CliSandbox();
    const secret = 'sk-live-first-day-4f9a';
    const file = sandbox.write('.oxydra/agent.toml', `[providers.registry.openai]\napi_key = ${secret}\n`);
    const result = sandbox.run('config', 'validate');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `error: ${file}:2:11: invalid TOML: invalid value\n  2 | api_key = ********\n    |           ^\n  hint: a text value is quoted in TOML: api_key = "…"\n`,
    );
  });

  // A hand edit's most common slips: the parser's words name the rule, the hint the changed line.
  it('says the fix for an unquoted value in run, config validate and doctor', () => {
    sandbox = new CliSandbox();
    const file = sandbox.write('.oxydra/agent.toml', '[selection]\nmodel = llama3.2\n');
    const error = `${file}:2:9: invalid TOML: invalid value`;
    const fix = 'a text value is quoted in TOML: model = "llama3.2"';
    for (const args of [
      ['run', 'hi'],
      ['config', 'validate'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        `error: ${error}\n  2 | model = llama3.2\n    |         ^\n  hint: ${fix}\n`,
      );
    }
    const doctor = sandbox.run('doctor');
    expect(doctor.status).toBe(1);
    const lines = doctor.stdout.split('\n');
    const failed = lines.findIndex((line) => line.startsWith('[FAIL] config'));
    expect(lines[failed]).toMatch(new RegExp(` ${error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(lines[failed + 1]?.trim()).toBe(`fix: ${fix}`);
  });

  it('a gateway whose port is taken says so and how to find the gateway holding it, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      sandbox = new CliSandbox({ OPENAI_API_KEY: 'sk-test' });
      const result = sandbox.run('gateway', '--bind', `127.0.0.1:${port}`);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        `error: cannot listen on 127.0.0.1:${port}: another process is already listening there (EADDRINUSE)\n` +
          "  hint: is a gateway already running there? `oxydra status` lists this workspace's; else choose another address with --bind HOST:PORT or [gateway] bind\n",
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('shows the stack only with OXYDRA_DEBUG=1', () => {
    sandbox = new CliSandbox({ OXYDRA_DEBUG: '1' });
    sandbox.write('.oxydra/agent.toml', 'config_version = "2.0.0"\n');
    const result = sandbox.run('config', 'validate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('major version must be 1');
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('validates a single file of each kind with --file', () => {
    sandbox = new CliSandbox();
    const agent = sandbox.write(
      'conf/agent.toml',
      '[selection]\nprovider = "anthropic"\nmodel = "claude-haiku-4-5"\n',
    );
    expect(sandbox.run('config', 'validate', '--file', agent)).toMatchObject({
      status: 0,
      stdout: `ok: ${agent}: valid agent config\n`,
    });
    const runner = sandbox.write(
      'conf/runner.toml',
      'default_tier = "container"\n[users.alice]\nconfig_path = "users/alice.toml"\n',
    );
    const user = sandbox.write('conf/users/alice.toml', '[behavior]\nsandbox_tier = "process"\n');
    const widened = sandbox.run('config', 'validate', '--file', runner);
    expect(widened.status).toBe(2);
    expect(widened.stderr).toContain(
      `${user}: behavior.sandbox_tier = "process" is weaker than the runner's default_tier "container"`,
    );
    sandbox.write('conf/users/alice.toml', '[behavior]\nsandbox_tier = "micro_vm"\n');
    expect(sandbox.run('config', 'validate', '--file', runner).status).toBe(0);
    expect(sandbox.run('config', 'validate', '--file', user).stdout).toContain('valid user config');
    const missing = sandbox.run('config', 'validate', '--file', 'nope.toml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.toml: file not found');

    // A path that is no file: refused in one line, not read (a FIFO would wait for a writer for
    // good, /dev/zero never ends), and a user's own link is still followed.
    const fifo = join(sandbox.root, 'fifo.toml');
    execFileSync('mkfifo', [fifo]);
    for (const [path, detail] of [
      [fifo, 'is not a regular file (a FIFO, socket or device?)'],
      ['/dev/zero', 'is not a regular file (a FIFO, socket or device?)'],
      [sandbox.root, 'is a directory'],
    ] as const) {
      const refused = sandbox.run('config', 'validate', '--file', path);
      expect(refused.status, path).toBe(2);
      expect(refused.stderr).toBe(`error: ${path}: ${detail}; not read\n`);
    }
    symlinkSync(agent, join(sandbox.root, 'linked.toml'));
    expect(sandbox.run('config', 'validate', '--file', join(sandbox.root, 'linked.toml')).status).toBe(0);
  });

  it('lists the files it reads in precedence order', () => {
    sandbox = new CliSandbox({ OXYDRA__RUNTIME__MAX_TURNS: '4' });
    sandbox.write('.oxydra/agent.toml', '');
    const result = sandbox.run('config', 'path', '--json');
    expect(result.status).toBe(0);
    const { files, environment } = JSON.parse(result.stdout);
    expect(files.map((f: { scope: string }) => f.scope)).toEqual([
      'system',
      'system',
      'user',
      'user',
      'workspace',
      'workspace',
    ]);
    expect(files.filter((f: { found: boolean }) => f.found)).toHaveLength(1);
    expect(environment).toEqual(['OXYDRA__RUNTIME__MAX_TURNS']);
    expect(sandbox.run('config', 'path').stdout).toMatch(
      /1\. built-in defaults[\s\S]*agent\.toml +\[workspace\] found/,
    );
  });
});
