/**
 * `[store]`: the default (embedded libSQL) unchanged, the PostgreSQL settings, and the refusals:
 * a URL with a password in a file or a flag (named without the password), a URL that is not
 * postgres://, a schema that is not a plain identifier; a workspace's own [store] needs trust.
 */
import { join } from 'node:path';
import { ConfigError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig, parseSetFlag } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

function load(toml: string, set: string[] = []) {
  sandbox.write(join(sandbox.workspaceConfig, 'agent.toml'), toml);
  return loadAgentConfig({
    cwd: sandbox.workspace,
    env: sandbox.env,
    trust: 'this-run',
    cli: { set: set.map(parseSetFlag) },
  });
}

async function refusal(toml: string, set: string[] = []): Promise<string> {
  const error = await load(toml, set).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe('[store]', () => {
  it('defaults to the embedded libSQL file, the URL from OXYDRA_STORE_URL, schema oxydra', async () => {
    sandbox = makeSandbox();
    const { config } = await load('');
    expect(config.store).toEqual({
      backend: 'libsql',
      url_env: 'OXYDRA_STORE_URL',
      schema: 'oxydra',
      max_connections: 10,
      synchronous_commit: 'on',
    });
  });

  it('takes postgres with a URL without a password, another variable, a schema and a pool size', async () => {
    sandbox = makeSandbox();
    const { config } = await load(
      '[store]\nbackend = "postgres"\nurl = "postgres://oxydra@db.example:5433/agents"\nurl_env = "MY_DB"\nschema = "team_a"\nmax_connections = 4\nsynchronous_commit = "off"\n',
    );
    expect(config.store).toEqual({
      backend: 'postgres',
      url: 'postgres://oxydra@db.example:5433/agents',
      url_env: 'MY_DB',
      schema: 'team_a',
      max_connections: 4,
      synchronous_commit: 'off',
    });
  });

  it('refuses a URL with a password in the file, naming url_env and never the password', async () => {
    sandbox = makeSandbox();
    const message = await refusal(
      '[store]\nbackend = "postgres"\nurl = "postgres://oxydra:hunter2-secret@db.example/agents"\n',
    );
    expect(message).toContain('store.url');
    expect(message).toContain('url_env');
    expect(message).toContain('postgres://oxydra:***@db.example/agents');
    expect(message).not.toContain('hunter2-secret');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('refuses one given as an override too, and a URL that is not postgres://', async () => {
    sandbox = makeSandbox();
    const flag = await refusal('', ['store.url=postgresql://u:pa55word@h/db']);
    expect(flag).toContain('--set store.url');
    expect(flag).not.toContain('pa55word');
    expect(await refusal('[store]\nurl = "mysql://u@h/db"\n')).toContain('is not a postgres:// URL');
  });

  it('refuses a libpq keyword string without repeating its password, quoted or not', async () => {
    sandbox = makeSandbox();
    for (const url of ['host=db password=hunter2 dbname=a', "host=db password = 'hunter2 x' dbname=a"]) {
      const message = await refusal(`[store]\nurl = "${url}"\n`);
      expect(message).toContain('keyword string');
      expect(message).toMatch(/password ?= ?\*\*\* dbname=a/);
      expect(message).not.toContain('hunter2');
    }
    const flag = await refusal('', ['store.url=host=db password=hunter2']);
    expect(flag).not.toContain('hunter2');
  });

  it('refuses an unknown backend and a schema that is not a plain identifier', async () => {
    sandbox = makeSandbox();
    expect(await refusal('[store]\nbackend = "mongo"\n')).toContain('"libsql", "postgres"');
    expect(await refusal('[store]\nschema = "Drop Table"\n')).toContain('store.schema');
  });

  it("holds a workspace's own PostgreSQL settings until it is trusted", async () => {
    sandbox = makeSandbox();
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      '[store]\nbackend = "postgres"\nurl = "postgres://oxydra@db.example/agents"\nurl_env = "SOME_VAR"\n',
    );
    const { config, trust } = await loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env });
    expect(trust.held.map((h) => h.key).sort()).toEqual(['store.backend', 'store.url', 'store.url_env']);
    expect(config.store.backend).toBe('libsql');
  });
});
