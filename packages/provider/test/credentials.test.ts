import { type ProviderEntry, providerEntrySchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  credentialCandidates,
  credentialValues,
  describeCredentialSource,
  isCustomEndpoint,
  resolveCredential,
} from '../src/index.js';

function entry(
  fields: Partial<ProviderEntry> & { provider_type: ProviderEntry['provider_type'] },
): ProviderEntry {
  return providerEntrySchema().parse(fields);
}

describe('credential chain', () => {
  const full = { MY_KEY: 'from-api-key-env', OPENAI_API_KEY: 'from-provider-env', API_KEY: 'from-generic' };

  it('prefers an explicit api_key over every variable', () => {
    const resolved = resolveCredential(
      entry({ provider_type: 'openai', api_key: 'explicit', api_key_env: 'MY_KEY' }),
      full,
    );
    expect(resolved).toEqual({ apiKey: 'explicit', source: { kind: 'config' } });
  });

  it('then the variable named by api_key_env', () => {
    const resolved = resolveCredential(entry({ provider_type: 'openai', api_key_env: 'MY_KEY' }), full);
    expect(resolved?.apiKey).toBe('from-api-key-env');
    expect(describeCredentialSource(resolved!.source)).toBe('$MY_KEY (api_key_env)');
  });

  it("then the provider type's own variable", () => {
    const { MY_KEY: _, ...env } = full;
    const resolved = resolveCredential(entry({ provider_type: 'openai', api_key_env: 'MY_KEY' }), env);
    expect(resolved?.apiKey).toBe('from-provider-env');
    expect(describeCredentialSource(resolved!.source)).toBe('$OPENAI_API_KEY');
  });

  it('then API_KEY', () => {
    const resolved = resolveCredential(entry({ provider_type: 'openai', api_key_env: 'MY_KEY' }), {
      API_KEY: 'from-generic',
    });
    expect(resolved).toEqual({
      apiKey: 'from-generic',
      source: { kind: 'generic_env', variable: 'API_KEY' },
    });
  });

  it('skips empty and blank values', () => {
    const resolved = resolveCredential(entry({ provider_type: 'anthropic', api_key: '  ' as string }), {
      ANTHROPIC_API_KEY: '',
      API_KEY: 'generic',
    });
    expect(resolved?.apiKey).toBe('generic');
  });

  it.each([
    ['openai', 'OPENAI_API_KEY'],
    ['openai_responses', 'OPENAI_API_KEY'],
    ['anthropic', 'ANTHROPIC_API_KEY'],
    ['gemini', 'GEMINI_API_KEY'],
  ] as const)('maps provider type %s to %s', (type, variable) => {
    expect(resolveCredential(entry({ provider_type: type }), { [variable]: 'k' })?.source).toEqual({
      kind: 'provider_env',
      variable,
    });
  });

  it('gives a custom endpoint only its own api_key or api_key_env', () => {
    const env = { OPENAI_API_KEY: 'provider', API_KEY: 'generic', OWN: 'own' };
    const local = 'http://127.0.0.1:11434/v1';
    expect(resolveCredential(entry({ provider_type: 'openai', base_url: local }), env)).toBeUndefined();
    expect(credentialCandidates(entry({ provider_type: 'openai', base_url: local }))).toEqual([
      'api_key in the config',
    ]);
    expect(
      resolveCredential(entry({ provider_type: 'openai', base_url: local, api_key_env: 'OWN' }), env)?.apiKey,
    ).toBe('own');
    // Written by the user for that endpoint, even the provider's own variable is sent.
    expect(
      resolveCredential(
        entry({ provider_type: 'openai', base_url: local, api_key_env: 'OPENAI_API_KEY' }),
        env,
      )?.apiKey,
    ).toBe('provider');
    expect(resolveCredential(entry({ provider_type: 'openai' }), env)?.apiKey).toBe('provider');
    expect(
      resolveCredential(entry({ provider_type: 'openai', base_url: 'https://api.openai.com/v1/' }), env)
        ?.apiKey,
    ).toBe('provider');
  });

  it("counts only the provider type's own API (scheme, host and port) as not custom", () => {
    const custom = (base_url: string) => isCustomEndpoint(entry({ provider_type: 'openai', base_url }));
    expect(custom('https://api.openai.com/v1')).toBe(false);
    expect(custom('http://api.openai.com/v1')).toBe(true);
    expect(custom('https://api.openai.com:8443/v1')).toBe(true);
    expect(custom('https://openrouter.ai/api/v1')).toBe(true);
    expect(isCustomEndpoint(entry({ provider_type: 'anthropic' }))).toBe(false);
  });

  it('lists every key value an entry could be given, for the scrubber', () => {
    const entries = [
      entry({ provider_type: 'openai', base_url: 'http://127.0.0.1:1/v1' }),
      entry({ provider_type: 'openai', api_key: 'inline-key', api_key_env: 'OWN' }),
    ];
    const values = credentialValues(entries, {
      OPENAI_API_KEY: 'openai',
      OWN: 'own',
      OTHER: 'x',
      API_KEY: ' ',
    });
    expect(values.sort()).toEqual(['inline-key', 'openai', 'own']);
  });

  it('returns undefined when nothing is set, and lists where a key may come from', () => {
    const e = entry({ provider_type: 'gemini', api_key_env: 'GOOGLE_KEY' });
    expect(resolveCredential(e, {})).toBeUndefined();
    expect(credentialCandidates(e)).toEqual([
      'api_key in the config',
      '$GOOGLE_KEY',
      '$GEMINI_API_KEY',
      '$API_KEY',
    ]);
  });
});
