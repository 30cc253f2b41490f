/**
 * knownSecrets, the one list the tool output scrubber, stored transcripts, the audit chain,
 * telemetry and the gateway log replace: besides provider keys it holds the value of every
 * variable a credential setting names (A2A remotes, the gateway, chat channels), the store URL's
 * password, the passwords of URLs in the configuration or passed to commands, and
 * credential-named variables passed to commands, and nothing of the others.
 */
import { agentConfigSchema } from '@oxydra/types/config-full';
import { describe, expect, it } from 'vitest';
import { knownSecrets } from '../src/assemble/secrets.js';

const ENV = {
  PROXY_KEY: 'proxy-key-0123456789',
  REMOTE_TOKEN: 'remote-a2a-token-0123',
  GW_TOKEN: 'gateway-token-0123456',
  TG_TOKEN: 'telegram-bot-token-0123',
  TG_SECRET: 'telegram-webhook-secret-0123',
  SLACK_SIGNING: 'slack-signing-secret-0123',
  IMAP_PW: 'imap-password-0123',
  DB_PASSWORD: 'correct-horse-battery-staple',
  GOPATH: '/home/someone/go-workspace',
  APP_DATABASE_URL: 'postgres://app:env-keys-url-password@db/app',
  OXYDRA_STORE_URL: 'postgres://app:store-password-0123@db:5432/oxydra',
};

describe('knownSecrets', () => {
  it('holds every credential a setting names, and no ordinary variable', () => {
    const config = agentConfigSchema.parse({
      selection: { provider: 'proxy', model: 'gpt-4o-mini' },
      providers: {
        registry: {
          proxy: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key_env: 'PROXY_KEY' },
        },
      },
      a2a: { remotes: { helper: { url: 'https://agent.example/', token_env: 'REMOTE_TOKEN' } } },
      gateway: { auth_token_env: 'GW_TOKEN' },
      channels: {
        telegram: { bot_token_env: 'TG_TOKEN', secret_token_env: 'TG_SECRET' },
        slack: { signing_secret_env: 'SLACK_SIGNING' },
        email: { imap: { password_env: 'IMAP_PW' } },
      },
      tools: { shell: { env_keys: ['DB_PASSWORD', 'GOPATH', 'APP_DATABASE_URL'] } },
      otel: { endpoint: 'http://collector:otlp-endpoint-password@127.0.0.1:4318' },
      mcp: {
        servers: {
          db: { command: 'db-mcp', env: { DATABASE_URL: 'postgres://app:mcp-env-url-password@db/app' } },
        },
      },
    });
    const secrets = knownSecrets(config, ENV, []);
    for (const name of [
      'PROXY_KEY',
      'REMOTE_TOKEN',
      'GW_TOKEN',
      'TG_TOKEN',
      'TG_SECRET',
      'SLACK_SIGNING',
      'IMAP_PW',
      'DB_PASSWORD',
    ] as const) {
      expect(secrets, name).toContain(ENV[name]);
    }
    // The passwords of URLs (the store's, the OTLP endpoint's, an MCP server's env, an env_keys value), not the URLs.
    expect(secrets).toEqual(
      expect.arrayContaining([
        'store-password-0123',
        'otlp-endpoint-password',
        'mcp-env-url-password',
        'env-keys-url-password',
      ]),
    );
    expect(secrets).not.toContain(ENV.APP_DATABASE_URL);
    expect(secrets).not.toContain(ENV.GOPATH);
    expect(secrets).not.toContain(ENV.OXYDRA_STORE_URL);
  });
});
