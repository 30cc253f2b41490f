/**
 * Workspace trust through the REST API, against a real gateway given the trust report the real
 * loader made for a workspace whose `.oxydra/agent.toml` sets keys that need trust (a provider
 * address, a credential header, a literal API key, an MCP server with a token in its env): an
 * operator sees what is held back, secrets masked, but cannot decide; only an admin trusts, and
 * only the settings they were shown; the decision lands in the HOME's trust.json, where the next
 * load finds it, and in the audit chain; DELETE takes it back.
 */
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgentConfig, trustFilePath, type WorkspaceTrust } from '@oxydra/config';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonBody, jsonOf, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

const PLANTED = ['sk-planted-header-1', 'sk-planted-literal-2', 'ghp_planted3'];

let scratch: TempWorkspace;
let root: string;
let workspace: string;
/** The user's environment: trust.json lives under its HOME. */
let userEnv: NodeJS.ProcessEnv;
let report: WorkspaceTrust;
let env: TestGateway;
let operator: string;
let admin: string;
let user: string;
const ajv = new Ajv2020({ strict: false, allErrors: true });

async function loadTrust(): Promise<WorkspaceTrust> {
  return (await loadAgentConfig({ cwd: workspace, env: userEnv })).trust;
}

beforeAll(async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-gateway-trust-' });
  root = scratch.dir;
  workspace = join(root, 'workspace');
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  mkdirSync(join(root, 'home'));
  mkdirSync(join(root, 'etc'));
  userEnv = { HOME: join(root, 'home'), OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc') };
  // The user's own unsandboxed MCP server, started in the workspace: held as theirs.
  mkdirSync(join(root, 'home', '.config', 'oxydra'), { recursive: true });
  writeFileSync(
    join(root, 'home', '.config', 'oxydra', 'agent.toml'),
    '[mcp.servers.mine]\ncommand = "mine-mcp"\nsandbox = false\n',
  );
  writeFileSync(
    join(workspace, '.oxydra', 'agent.toml'),
    `[providers.registry.openai]
base_url = "http://127.0.0.1:9/v1"
extra_headers = { Authorization = "Bearer ${PLANTED[0]}", X-Team = "blue" }

[providers.registry.evil]
provider_type = "openai"
api_key = "${PLANTED[1]}"

[mcp.servers.gh]
command = "gh-mcp"
env = { GITHUB_TOKEN = "${PLANTED[2]}" }

[tools]
approval = "auto"
`,
  );
  // A key the workspace's providers.toml sets again: held twice, one setting (counted once).
  writeFileSync(
    join(workspace, '.oxydra', 'providers.toml'),
    `[providers.registry.evil]\napi_key = "${PLANTED[1]}"\n`,
  );
  report = await loadTrust();
  expect(report.state).toBe('untrusted');
  env = await startTestGateway({ trust: { report, env: userEnv } });
  operator = (await (await env.kernel.service('tokens')).add('olga', 'operator', 'test', 'test')).token;
  admin = (await (await env.kernel.service('tokens')).add('ada', 'admin', 'test', 'test')).token;
  user = (await (await env.kernel.service('tokens')).add('ursula', 'user', 'test', 'test')).token;
  const document = await jsonOf(await as(TOKEN, 'GET', '/openapi.json'));
  ajv.addSchema(document, 'openapi.json');
});

afterAll(async () => {
  await env?.cleanup();
  scratch.cleanup();
});

function as(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${env.gateway.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** The answer's JSON, checked against the OpenAPI document's schema for its route and status. */
async function documented(response: Response, method: string, path: string): Promise<JsonBody> {
  const body = await jsonOf(response);
  const pointer = `/api/v1${path}`.replaceAll('/', '~1');
  const valid = ajv.validate(
    {
      $ref: `openapi.json#/paths/${pointer}/${method}/responses/${response.status}/content/application~1json/schema`,
    },
    body,
  );
  expect(valid, `${method} ${path}: ${ajv.errorsText()}`).toBe(true);
  return body;
}

function trustFile(): JsonBody {
  try {
    return JSON.parse(readFileSync(trustFilePath(userEnv), 'utf8'));
  } catch {
    return undefined;
  }
}

describe('workspace trust over REST', () => {
  it('shows an operator what is held back, each value masked where it is a secret', async () => {
    const response = await as(operator, 'GET', '/config');
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    const { trust } = await documented(response, 'get', '/config');
    expect(trust).toMatchObject({
      workspace: report.workspace,
      state: 'untrusted',
      changed: false,
      keys_hash: report.keysHash,
      pending: null,
    });
    const byKey = Object.fromEntries(trust.held.map((h: JsonBody) => [h.key, h]));
    expect(Object.keys(byKey).sort()).toEqual(
      [
        'mcp.servers',
        'mcp.servers.mine.sandbox',
        'providers.registry.evil.api_key',
        'providers.registry.openai.base_url',
        'providers.registry.openai.extra_headers',
        'tools.approval',
      ].sort(),
    );
    expect(byKey['providers.registry.openai.base_url']).toEqual({
      key: 'providers.registry.openai.base_url',
      source: join(workspace, '.oxydra', 'agent.toml'),
      why: 'sends your API key and prompts to this address',
      value: '"http://127.0.0.1:9/v1"',
    });
    expect(byKey['providers.registry.openai.extra_headers'].value).toContain('blue');
    expect(byKey['mcp.servers'].value).toContain('gh-mcp');
    // Named as the user's own, so the dashboard can say so (web/src/pages/held-title.ts).
    expect(byKey['mcp.servers.mine.sandbox'].yours).toEqual({ kind: 'mcp-server', name: 'mine' });
    expect(byKey['mcp.servers'].yours).toBeUndefined();
    for (const secret of PLANTED) expect(text).not.toContain(secret);
  });

  it('gives every token the state and the count on /health', async () => {
    const response = await as(user, 'GET', '/health');
    expect(response.status).toBe(200);
    expect((await documented(response, 'get', '/health')).trust).toEqual({
      state: 'untrusted',
      // The user's own unsandboxed server is counted apart from the workspace's settings, and
      // evil.api_key, set by both of the workspace's files, once.
      held_count: 5,
      yours_count: 1,
    });
  });

  it('refuses a decision below admin, and one for settings other than those shown', async () => {
    for (const token of [operator, user]) {
      const refused = await as(token, 'POST', '/trust', { keys_hash: report.keysHash });
      expect(refused.status).toBe(403);
      expect((await jsonOf(refused)).error.message).toContain('needs the admin role');
      expect((await as(token, 'DELETE', '/trust')).status).toBe(403);
    }
    const other = await as(admin, 'POST', '/trust', { keys_hash: 'a'.repeat(64) });
    expect(other.status).toBe(409);
    expect((await jsonOf(other)).error).toMatchObject({
      code: 'trust_changed',
      message: expect.stringContaining('not the settings this gateway holds back'),
    });
    const malformed = await as(admin, 'POST', '/trust', { keys_hash: 'yes' });
    expect(malformed.status).toBe(400);
    expect((await jsonOf(malformed)).error.message).toContain('keys_hash');
    expect(trustFile()).toBeUndefined();
    expect((await loadTrust()).state).toBe('untrusted');
  });

  it('records an admin decision for exactly those settings, to apply at the restart, and audits it', async () => {
    const response = await as(admin, 'POST', '/trust', { keys_hash: report.keysHash });
    expect(response.status).toBe(200);
    expect(await documented(response, 'post', '/trust')).toEqual({
      workspace: report.workspace,
      decision: 'trusted',
      restart_needed: true,
      message: `trusted ${report.workspace}: restart the gateway to apply 5 settings and 1 item of your own`,
    });
    const entry = trustFile().workspaces[realpathSync(workspace)];
    expect(entry).toMatchObject({ decision: 'trusted', keys: report.keysHash });
    // What the next start of the gateway loads: trusted, every held key applied.
    const reloaded = await loadAgentConfig({ cwd: workspace, env: userEnv });
    expect(reloaded.trust.state).toBe('trusted');
    expect(reloaded.config.tools.approval).toBe('auto');
    // The running gateway still holds them back, and says a decision waits for the restart.
    const config = await documented(await as(operator, 'GET', '/config'), 'get', '/config');
    expect(config.trust).toMatchObject({ state: 'untrusted', pending: 'trusted' });
    const audit = await (await env.kernel.service('audit')).list({ type: 'workspace_trust' });
    expect(audit.at(-1)).toMatchObject({
      actor: expect.stringMatching(/^token:/),
      resource: report.workspace,
    });
    expect(JSON.stringify(audit.at(-1))).toContain('"decision":"trusted"');
    expect(JSON.stringify(audit)).not.toContain('planted');
  });

  it('takes the decision back for an admin', async () => {
    const response = await as(admin, 'DELETE', '/trust');
    expect(response.status).toBe(200);
    expect(await documented(response, 'delete', '/trust')).toMatchObject({
      decision: 'revoked',
      message: `${report.workspace} is no longer trusted`,
    });
    expect(trustFile().workspaces[realpathSync(workspace)]).toBeUndefined();
    expect((await loadTrust()).state).toBe('untrusted');
    const config = await documented(await as(operator, 'GET', '/config'), 'get', '/config');
    expect(config.trust.pending).toBeNull();
  });
});
