/**
 * storeChoice (run/store-choice.ts) in process: a store URL that does not parse is a
 * configuration mistake said as one, never with its password. store-e2e.test.ts runs one such URL
 * through the binary (exit 2, one line, for `store migrate` and `run`); the other kinds here.
 */
import { ConfigError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { describe, expect, it } from 'vitest';
import { storeChoice } from '../src/run/store-choice.js';

const password = 'hunter2-not-shown';
const config = agentConfigSchema.parse({
  selection: { provider: 'mock', model: 'gpt-4o-mini' },
  providers: {
    registry: {
      mock: {
        provider_type: 'openai',
        base_url: 'http://127.0.0.1:9',
        api_key_env: 'MOCK_KEY',
        catalog_provider: 'openai',
      },
    },
  },
  store: { backend: 'postgres' },
});

describe('storeChoice', () => {
  it('refuses a URL that does not parse as a configuration error, never naming the password', () => {
    for (const url of [
      `postgres://postgres:${password}@127.0.0.1:99999/test`,
      // An unencoded "/" in the password.
      `postgres://postgres:${password}/x@127.0.0.1:5432/test`,
    ]) {
      const error = (() => {
        try {
          storeChoice(config, { OXYDRA_STORE_URL: url });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, url).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/^OXYDRA_STORE_URL is not a valid URL/);
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
        password,
      );
    }
  });
});
