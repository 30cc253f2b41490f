/**
 * GET /api/v1/config is for operator tokens, which are not the owner: "every secret masked".
 * Before, an HTTP MCP server's `headers` (its Authorization), a stdio server's `env` values
 * (DATABASE_URL with its password) and a URL's password were sent as they are
 * (docs/security.md, G27).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers.js';

const SECRETS = ['Bearer mcp-s3cret', 'db-pa55word', 'sk-env-key-9', 'url-pa55word', 'query-t0ken'];

let env: TestGateway;
let operator: string;
beforeAll(async () => {
  env = await startTestGateway({
    config: {
      mcp: {
        servers: {
          remote: {
            url: 'https://bot:url-pa55word@mcp.example/v1?token=query-t0ken',
            headers: { Authorization: 'Bearer mcp-s3cret' },
            enabled: false,
          },
          local: {
            command: 'mcp-db',
            env: { DATABASE_URL: 'postgres://app:db-pa55word@db/app', OPENAI_KEY: 'sk-env-key-9' },
            enabled: false,
          },
        },
      },
    },
  });
  operator = (await (await env.kernel.service('tokens')).add('ops', 'operator', '', 'test')).token;
});
afterAll(() => env.cleanup());

it("an operator token reads the configuration without the MCP servers' credentials", async () => {
  const response = await fetch(`${env.gateway.url}/api/v1/config`, {
    headers: { authorization: `Bearer ${operator}` },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  // Still the configuration: what is not a credential is shown.
  expect(text).toContain('mcp.example');
});
