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
});
