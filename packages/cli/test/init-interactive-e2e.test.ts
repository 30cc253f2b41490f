/**
 * Issue 31, item 9: `oxydra init` in a terminal asks for provider, model and key storage. The
 * real binary in a real terminal (tmux): a local server's models are listed by asking it (a
 * mock LLM server), a pasted key lands in the user's providers.toml only and never on the
 * screen, and Ctrl-C or Esc leaves nothing written. Flags and pipes keep the old behaviour
 * (init-doctor.test.ts); `--yes` in a terminal asks nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEntries, CliSandbox, OXYDRA_BIN } from './helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

let sandbox: CliSandbox | undefined;
let other: CliSandbox | undefined;
let pane: TmuxPane | undefined;
let mock: MockLLM | undefined;
afterEach(async () => {
  pane?.kill();
  pane = undefined;
  await mock?.close();
  mock = undefined;
  sandbox?.cleanup();
  other?.cleanup();
  sandbox = other = undefined;
});

/** `oxydra init <args>` in a fresh terminal; the user's config folder is $XDG_CONFIG_HOME. */
function startInit(args: string[] = []): { sandbox: CliSandbox; pane: TmuxPane; xdg: string } {
  sandbox = new CliSandbox();
  const xdg = join(sandbox.root, 'xdg');
  sandbox.env.XDG_CONFIG_HOME = xdg;
  pane = new TmuxPane(sandbox.root);
  pane.start(
    [process.execPath, OXYDRA_BIN, 'init', ...args],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: sandbox.home,
      XDG_CONFIG_HOME: xdg,
      OXYDRA_SYSTEM_CONFIG_DIR: sandbox.system,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    },
    sandbox.workspace,
  );
  return { sandbox, pane, xdg };
}

/** Every file under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile() && readFileSync(path).includes(text));
}

describe.skipIf(!tmuxAvailable())('oxydra init in a terminal (tmux)', () => {
  it('a local server: its models are offered, and the agent.toml is what the flags write', async () => {
    mock = await startMockLLM({
      api: 'openai-chat',
      scenario: [],
      // The last is not offered: the server's text must not drive the terminal.
      models: [
        'llama3.2:latest',
        'qwen2.5:7b',
        'nomic-embed-text:latest',
        'evil\u202emodel',
        'evil\u0007bell',
      ],
    });
    const { sandbox, pane } = startInit();
    await pane.waitForText('Which model provider?');
    pane.press('Down', 'Down', 'Down');
    await pane.waitForText('● A local or other OpenAI-compatible server');
    pane.press('Enter');
    await pane.waitForText('Its base URL');
    expect(pane.screen()).toContain('http://127.0.0.1:11434/v1'); // Ollama's, the default
    pane.type(mock.url);
    await pane.waitForText(mock.url);
    pane.press('Enter');
    const models = await pane.waitForText(`Model (3 served at ${mock.url})`);
    for (const id of ['llama3.2:latest', 'qwen2.5:7b', 'nomic-embed-text:latest', 'another (type its id)'])
      expect(models).toContain(id);
    expect(models).not.toContain('evil');
    pane.press('Down');
    await pane.waitForText('● qwen2.5:7b');
    pane.press('Enter');
    await pane.waitForText('Where is the API key to come from?');
    expect(pane.screen()).toContain('● None: the server needs no key');
    pane.press('Enter');
    const summary = await pane.waitForText('Write it?');
    expect(summary).toMatch(/provider +local \(http:\/\/127\.0\.0\.1:\d+\/v1\)/);
    expect(summary).toMatch(/model +qwen2\.5:7b/);
    pane.press('Enter');
    expect(await pane.waitForExit()).toBe(0);
    expect(pane.output()).toContain('wrote .oxydra/agent.toml');

    // The server was asked for its list without a key: none was given to it.
    const listing = mock.requests.find((request) => request.path === '/v1/models');
    expect(listing?.headers.authorization).toBeUndefined();

    // The same file the flag path writes, trusted and recorded as that one is.
    const written = readFileSync(join(sandbox.workspace, '.oxydra', 'agent.toml'), 'utf8');
    other = new CliSandbox();
    expect(other.run('init', '--base-url', mock.url, '--model', 'qwen2.5:7b').status).toBe(0);
    expect(written).toBe(readFileSync(join(other.workspace, '.oxydra', 'agent.toml'), 'utf8'));
    expect(auditEntries(sandbox.workspace, 'config_change').map((entry) => entry.data.change)).toEqual([
      'created',
    ]);
    const config = JSON.parse(sandbox.run('config', 'show', '--json').stdout);
    expect(config.selection).toEqual({ provider: 'local', model: 'qwen2.5:7b', fallbacks: [] });
    expect(config.providers.registry.local.base_url).toBe(mock.url);
  });

  it('openai with a pasted key: stored 0600 in the user providers.toml, comments kept, never on screen or in the workspace', async () => {
    const key = 'sk-pasted-7f3a9c1e5b2d4086';
    const { sandbox, pane, xdg } = startInit();
    // A providers.toml the user already had, readable by others: its comment and entry stay.
    const providers = join(xdg, 'oxydra', 'providers.toml');
    mkdirSync(join(xdg, 'oxydra'), { recursive: true });
    writeFileSync(
      providers,
      '# my providers\n[providers.registry.openrouter]\nprovider_type = "openai"\nbase_url = "https://openrouter.ai/api/v1"\n',
      { mode: 0o644 },
    );
    await pane.waitForText('● OpenAI');
    pane.press('Enter');
    await pane.waitForText('gpt-4o-mini'); // the default model, taken with Enter
    pane.press('Enter');
    await pane.waitForText('Where is the API key to come from?');
    pane.press('Down');
    await pane.waitForText('● Paste it now');
    pane.press('Enter');
    await pane.waitForText('Paste the API key');
    pane.type(key);
    await pane.waitForText('▪'.repeat(key.length));
    expect(pane.screen()).not.toContain(key);
    pane.press('Enter');
    const summary = await pane.waitForText('Write it?');
    expect(summary).toContain(`stored in ${providers} (mode 0600)`);
    pane.press('Enter');
    expect(await pane.waitForExit()).toBe(0);
    const screen = pane.output();
    expect(screen).toContain(`key stored in ${providers} (readable only by you)`);
    expect(screen).not.toContain(key);
    expect(screen).not.toContain(key.slice(3, 12));

    const text = readFileSync(providers, 'utf8');
    expect(text).toMatch(/^# my providers\n/);
    expect(parse(text)).toEqual({
      providers: {
        registry: {
          openrouter: { provider_type: 'openai', base_url: 'https://openrouter.ai/api/v1' },
          openai: { api_key: key },
        },
      },
    });
    expect(statSync(providers).mode & 0o777).toBe(0o600);
    expect(filesContaining(sandbox.workspace, key)).toEqual([]);
    expect(filesContaining(sandbox.workspace, key.slice(3, 12))).toEqual([]);
    const agent = readFileSync(join(sandbox.workspace, '.oxydra', 'agent.toml'), 'utf8');
    expect(agent).toContain('provider = "openai"');
    expect(agent).not.toMatch(/^\s*api_key\s*=/m);
    // The loader finds it there (and masks it).
    const shown = sandbox.run('config', 'show', '--sources');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`# providers.registry.openai.api_key <- ${providers}`);
    expect(shown.stdout).not.toContain(key);
  });

  it('a hosted model id the catalog does not list is refused at the question, with the right one', async () => {
    const { sandbox, pane } = startInit();
    await pane.waitForText('● OpenAI');
    pane.press('Down', 'Enter');
    await pane.waitForText('claude-haiku-4-5');
    pane.type('claude-haiku-4.5');
    pane.press('Enter');
    const refused = await pane.waitForText('unknown model "claude-haiku-4.5" for provider anthropic');
    expect(refused).toContain('did you mean "claude-haiku-4-5"?');
    expect(refused).not.toContain('Where is the API key to come from?');
    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    expect(existsSync(join(sandbox.workspace, '.oxydra'))).toBe(false);
  });

  it('Ctrl-C at a question writes nothing and exits 130; Esc too', async () => {
    const first = startInit();
    await first.pane.waitForText('● OpenAI');
    first.pane.press('Enter');
    await first.pane.waitForText('gpt-4o-mini');
    first.pane.press('C-c');
    expect(await first.pane.waitForExit()).toBe(130);
    expect(first.pane.output()).toContain('cancelled: nothing written');
    expect(existsSync(join(first.sandbox.workspace, '.oxydra'))).toBe(false);
    expect(existsSync(first.xdg)).toBe(false);
    pane?.kill();
    sandbox?.cleanup();

    // Esc at the last question, after a key was pasted: neither file is written.
    const second = startInit();
    await second.pane.waitForText('● OpenAI');
    second.pane.press('Enter');
    await second.pane.waitForText('gpt-4o-mini');
    second.pane.press('Enter');
    await second.pane.waitForText('Where is the API key to come from?');
    second.pane.press('Down', 'Enter');
    await second.pane.waitForText('Paste the API key');
    second.pane.type('sk-never-stored-0123456789');
    second.pane.press('Enter');
    await second.pane.waitForText('Write it?');
    second.pane.press('Escape');
    expect(await second.pane.waitForExit()).toBe(130);
    expect(existsSync(join(second.sandbox.workspace, '.oxydra'))).toBe(false);
    expect(existsSync(second.xdg)).toBe(false);
  });

  it('in a terminal, --yes asks nothing and writes what the flags and defaults say', async () => {
    const { sandbox, pane } = startInit(['--yes']);
    expect(await pane.waitForExit()).toBe(0);
    expect(pane.output()).not.toContain('Which model provider?');
    expect(pane.output()).toContain('next: export the API key of your provider (OPENAI_API_KEY)');
    expect(readFileSync(join(sandbox.workspace, '.oxydra', 'agent.toml'), 'utf8')).toContain(
      'model = "gpt-4o-mini"',
    );
  });
});
