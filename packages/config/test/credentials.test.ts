import { type ProviderEntry, providerEntrySchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { credentialCandidates, describeCredentialSource, resolveCredential } from '../src/index.js';

function entry(
  fields: Partial<ProviderEntry> & { provider_type: ProviderEntry['provider_type'] },
): ProviderEntry {
  return providerEntrySchema.parse(fields);
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
    expect(
      resolveCredential(entry({ provider_type: 'openai' }), env, { customEndpoint: true }),
    ).toBeUndefined();
    expect(
      resolveCredential(entry({ provider_type: 'openai', api_key_env: 'OWN' }), env, { customEndpoint: true })
        ?.apiKey,
    ).toBe('own');
    expect(resolveCredential(entry({ provider_type: 'openai' }), env)?.apiKey).toBe('provider');
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
