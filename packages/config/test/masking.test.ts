import { MASK, maskSecrets } from '@oxydra/types';
import { describe, expect, it } from 'vitest';

describe('secret masking', () => {
  it('masks api keys, tokens and credential-like headers, keeping everything else', () => {
    const masked = maskSecrets({
      providers: {
        registry: {
          openai: {
            api_key: 'sk-live-123',
            api_key_env: 'OPENAI_API_KEY',
            base_url: 'https://api.openai.com/v1',
            extra_headers: {
              Authorization: 'Bearer abc',
              'X-Api-Key': 'k',
              'HTTP-Referer': 'https://me.example',
            },
          },
        },
      },
      memory: { auth_token: 'tok', db_path: '.oxydra/memory.db' },
      gateway: { auth_token_env: 'GW_TOKEN' },
    });
    expect(masked).toEqual({
      providers: {
        registry: {
          openai: {
            api_key: MASK,
            api_key_env: 'OPENAI_API_KEY',
            base_url: 'https://api.openai.com/v1',
            extra_headers: { Authorization: MASK, 'X-Api-Key': MASK, 'HTTP-Referer': 'https://me.example' },
          },
        },
      },
      memory: { auth_token: MASK, db_path: '.oxydra/memory.db' },
      gateway: { auth_token_env: 'GW_TOKEN' },
    });
  });

  it("masks an MCP server's headers and env, and the credentials in URLs", () => {
    const masked = maskSecrets({
      mcp: {
        servers: {
          remote: {
            url: 'https://bot:hunter2@mcp.example/v1?api_key=k-123&region=eu',
            headers: { Authorization: 'Bearer s3cret', 'X-Region': 'eu' },
          },
          local: {
            command: 'server',
            env: { DATABASE_URL: 'postgres://u:pw@db/x', OPENAI_KEY: 'sk-9', MODE: 'x' },
          },
        },
      },
      memory: { remote_url: 'https://u:p@memory.example' },
      store: { url: 'postgres://oxydra@db.example:5432/oxydra' },
      otel: { endpoint: 'https://otel.example/v1/traces?token=t-1' },
      notes: ['https://a:b@example.com', 'plain text: a:b@c'],
    });
    expect(masked).toEqual({
      mcp: {
        servers: {
          remote: {
            url: `https://bot:${MASK}@mcp.example/v1?api_key=${MASK}&region=eu`,
            headers: { Authorization: MASK, 'X-Region': 'eu' },
          },
          local: { command: 'server', env: { DATABASE_URL: MASK, OPENAI_KEY: MASK, MODE: MASK } },
        },
      },
      memory: { remote_url: `https://u:${MASK}@memory.example` },
      store: { url: 'postgres://oxydra@db.example:5432/oxydra' },
      otel: { endpoint: `https://otel.example/v1/traces?token=${MASK}` },
      notes: [`https://a:${MASK}@example.com`, 'plain text: a:b@c'],
    });
  });

  it("masks the values of an MCP server's credential flags in its args, and nothing else there", () => {
    const args = [
      '--api-key',
      'sk-live-1',
      '--token=t-2',
      '-password',
      'p-3',
      '--verbose',
      '--secret',
      '--port',
      '8080',
      'https://u:p-4@host.example/x',
      'serve',
    ];
    const masked = maskSecrets({ mcp: { servers: { local: { command: 'server', args } } } });
    expect(masked.mcp.servers.local.args).toEqual([
      '--api-key',
      MASK,
      `--token=${MASK}`,
      '-password',
      MASK,
      '--verbose',
      // A credential flag followed by another flag has no value to mask: the flag is kept as it is.
      '--secret',
      '--port',
      '8080',
      `https://u:${MASK}@host.example/x`,
      'serve',
    ]);
  });

  it("masks an MCP server's args that look like credentials by themselves, and keeps ordinary ones", () => {
    const secrets = [
      'sk-live-abc123def456ghi789',
      'sk-ant-api03-abcdefghijklmnop',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_pat_11ABCDEFG0123456789_abcdefghijkl',
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      'xoxb-1234567890-abcdefghijkl',
      'xoxp-1234567890-abcdefghijkl',
      'AKIAIOSFODNN7EXAMPLE',
      'glpat-xxxxxxxxxxxxxxxxxxxx',
      'AIzaSyA1234567890abcdefghijklmnopqrstu',
      'Bearer abcdef123456',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NTY3OA==',
      // The tool output scrubber's token rule, not a weaker one of its own: a JWT (dots), 24
      // random characters, and hex (a commit hash or digest, which only tool output spares).
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'Qm7xK2pLr9Tz4VbN8cWd3FhJ',
      '3f2a9c1e4b5d6f708192a3b4c5d6e7f809182736',
    ];
    const ordinary = [
      'serve',
      '--port',
      '8080',
      '@modelcontextprotocol/server-filesystem',
      '/home/alice/projects/some-long-folder-name/src',
      'a-very-long-package-name-for-a-server-v2',
      'skeleton',
      'ghost_town',
    ];
    const args = [
      ...secrets,
      '--token=xyz',
      '--header=Bearer abcdef123456',
      'GITHUB_TOKEN=abc',
      'KEY_ID=AKIAIOSFODNN7EXAMPLE',
      ...ordinary,
    ];
    const masked = maskSecrets({ mcp: { servers: { local: { command: 'server', args } } } });
    expect(masked.mcp.servers.local.args).toEqual([
      ...secrets.map(() => MASK),
      `--token=${MASK}`,
      `--header=${MASK}`,
      `GITHUB_TOKEN=${MASK}`,
      `KEY_ID=${MASK}`,
      ...ordinary,
    ]);
  });
});
