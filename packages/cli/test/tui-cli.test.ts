/**
 * `oxydra tui` before it draws anything: flag checks (--gateway's with `oxydra dashboard`'s),
 * finding the gateway token, refusing to run without a terminal; and `oxydra --help` not paying
 * for Ink and React.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

const TOKEN = 'gw-cli-token-5e8a1f0b77';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

/** `oxydra tui` with stdin and stdout piped: never a terminal. */
function tui(env: NodeJS.ProcessEnv, ...args: string[]) {
  sandbox = new CliSandbox(env);
  return sandbox.run('tui', ...args);
}

function writeTokenFile(dir: string, mode: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'gateway-token');
  writeFileSync(path, `${TOKEN}\n`);
  chmodSync(path, mode);
  return path;
}

describe('oxydra tui: before connecting', () => {
  it('refuses to run without a terminal, in one line and exit 2', () => {
    const result = tui({ OXYDRA_GATEWAY_TOKEN: TOKEN });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'error: oxydra tui needs a terminal: its input and output must not be piped or redirected\n  hint: run it in a terminal; for scripts use `oxydra run`\n',
    );
  });

  it('finds the token in ~/.config/oxydra/gateway-token when the variable is unset', () => {
    sandbox = new CliSandbox();
    writeTokenFile(join(sandbox.home, '.config', 'oxydra'), 0o600);
    const result = sandbox.run('tui');
    // Found: the next check (the terminal) is what stops it.
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('needs a terminal');
  });

  it('honours XDG_CONFIG_HOME for the token file', () => {
    sandbox = new CliSandbox();
    const xdg = join(sandbox.root, 'xdg');
    sandbox.env.XDG_CONFIG_HOME = xdg;
    writeTokenFile(join(xdg, 'oxydra'), 0o600);
    expect(sandbox.run('tui').stderr).toContain('needs a terminal');
  });

  it('says where the token was looked for when there is none', () => {
    const result = tui({});
    expect(result.status).toBe(2);
    const path = join(sandbox!.home, '.config', 'oxydra', 'gateway-token');
    expect(result.stderr).toBe(
      `error: no gateway token: OXYDRA_GATEWAY_TOKEN is not set and ${path} does not exist\n  hint: start the gateway with \`oxydra gateway\` (it writes that file), or set OXYDRA_GATEWAY_TOKEN\n`,
    );
  });

  it('refuses a token file other users can read, without printing the token', () => {
    sandbox = new CliSandbox();
    const path = writeTokenFile(join(sandbox.home, '.config', 'oxydra'), 0o644);
    const result = sandbox.run('tui');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `error: gateway token file ${path} is readable by other users (mode 0644)\n  hint: chmod 600 ${path}\n`,
    );
    expect(readFileSync(path, 'utf8')).toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
  });

  it('rejects a token with spaces or control characters without echoing it', () => {
    const result = tui({ OXYDRA_GATEWAY_TOKEN: 'abc def' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'the gateway token from OXYDRA_GATEWAY_TOKEN contains spaces or non-printable characters',
    );
    expect(result.stderr).not.toContain('abc def');
  });

  // One rule for both commands (run/gateway-address.ts): each refuses the same addresses.
  const env = { OXYDRA_GATEWAY_TOKEN: TOKEN };
  const refused: [string, string][] = [
    ['not a url', 'error: --gateway not a url is not a URL\n  hint: use the form http://127.0.0.1:7700'],
    ['ftp://127.0.0.1/ws', 'must be an http://, https://, ws:// or wss:// URL'],
    ['ws://user:pw@127.0.0.1:7700/ws', 'must not carry credentials'],
    [
      'ws://192.168.1.20:7700/ws',
      'would send the gateway token unencrypted to another host\n  hint: use https:// (or wss://), or tunnel',
    ],
    ['http://192.168.1.20:7700', 'would send the gateway token unencrypted to another host'],
  ];
  const expectRefused = (command: string) => {
    for (const [url, message] of refused) {
      sandbox = new CliSandbox(env);
      const result = sandbox.run(command, '--gateway', url);
      expect(result.status, `${command} ${url}`).toBe(2);
      expect(result.stderr, `${command} ${url}`).toContain(message);
      expect(result.stderr, `${command} ${url}`).not.toContain('bug');
      sandbox.cleanup();
    }
  };

  it('checks --gateway: a URL, ws(s):// or http(s)://, no plain-text token to another host', () => {
    expectRefused('tui');
    // Loopback in either spelling, and wss://, pass the URL checks (and stop at the terminal check).
    for (const url of [
      'ws://localhost:7700/ws',
      'ws://[::1]:7700',
      'http://127.0.0.1:7700',
      'wss://gateway.example.com/ws',
    ]) {
      expect(tui(env, '--gateway', url).stderr, url).toContain('needs a terminal');
      sandbox!.cleanup();
    }
  });

  it("dashboard checks --gateway as tui does, and takes the WebSocket spelling for the gateway's HTTP side", () => {
    expectRefused('dashboard');
    // Nothing listens on port 1: the error names the HTTP address it tried.
    sandbox = new CliSandbox(env);
    const dashboard = sandbox.run('dashboard', '--print', '--gateway', 'ws://127.0.0.1:1/ws');
    expect(dashboard.status).toBe(2);
    expect(dashboard.stderr).toContain('error: the gateway at http://127.0.0.1:1 does not answer');
  });

  it('checks --session and --user', () => {
    const env = { OXYDRA_GATEWAY_TOKEN: TOKEN };
    const session = tui(env, '--session', 'has space');
    expect(session.status).toBe(2);
    expect(session.stderr).toContain('--session needs a session id');
    sandbox!.cleanup();
    const user = tui(env, '--user', '');
    expect(user.status).toBe(2);
    expect(user.stderr).toContain('--user needs a user name');
  });
});

describe('oxydra --help and the TUI', () => {
  it('lists tui with its flags', () => {
    sandbox = new CliSandbox();
    expect(sandbox.run('--help').stdout).toMatch(/^ {2}tui\b.*running gateway/m);
    const help = sandbox.run('tui', '--help');
    expect(help.status).toBe(0);
    for (const flag of ['--gateway <url>', '--session <id>', '--user <name>'])
      expect(help.stdout).toContain(flag);
  });

  it('does not load Ink or React for --help', () => {
    sandbox = new CliSandbox();
    const { run, recorder } = recordingRun(sandbox);
    /** Does any loaded file contain Ink's or React's code? */
    const loadsInk = (urls: string[]) =>
      anyContains(urls, 'ink-root') || anyContains(urls, 'react.transitional.element');
    const help = run(0, '--help');
    expect(help.some((url) => url.endsWith('/bundle/main.cjs'))).toBe(true);
    expect(loadsInk(help)).toBe(false);
    // The check can tell: the TUI's screen module does contain them (its index loads them
    // only when the screen is drawn).
    const tuiModule = new URL('../../tui/dist/ui/draw-app.js', import.meta.url);
    recorder.clear();
    const ink = spawnSync(
      process.execPath,
      [
        '--import',
        recorder.register,
        '-e',
        `await import(${JSON.stringify(tuiModule.href)})`,
        '--input-type=module',
      ],
      { env: sandbox.env, encoding: 'utf8' },
    );
    expect(ink.status).toBe(0);
    expect(loadsInk(recorder.loaded())).toBe(true);
  });

  it('reads the gateway token without loading the gateway server (fastify)', () => {
    sandbox = new CliSandbox();
    writeTokenFile(join(sandbox.home, '.config', 'oxydra'), 0o600);
    const { run } = recordingRun(sandbox);
    /** Does any loaded file contain fastify's code? */
    const loadsFastify = (urls: string[]) => anyContains(urls, 'FST_ERR_CTP_ALREADY_PRESENT');
    // The token file was read (the terminal check comes after it and stops the command).
    const tui = run(2, 'tui');
    expect(loadsFastify(tui)).toBe(false);
    // The check can tell: the gateway command's modules do contain fastify.
    const gateway = run(2, 'gateway', '--bind', 'not-an-address');
    expect(loadsFastify(gateway)).toBe(true);
  });
});

/** Runs the binary with the module recorder: `run(status, ...args)` returns the URLs loaded. */
function recordingRun(sandbox: CliSandbox) {
  const recorder = moduleRecorder(sandbox.root);
  const run = (status: number, ...args: string[]) => {
    recorder.clear();
    const result = spawnSync(process.execPath, ['--import', recorder.register, OXYDRA_BIN, ...args], {
      cwd: sandbox.workspace,
      env: sandbox.env,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(status);
    return recorder.loaded();
  };
  return { run, recorder };
}
