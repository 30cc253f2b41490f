import { readFileSync, statSync } from 'node:fs';
import { ConfigError, PROVIDER_TYPES, WIRE_FACTS } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  catalogNamespace,
  catalogNamespaces,
  findModel,
  findModelAnywhere,
  formatModelDetails,
  formatModelList,
  listModels,
  loadCatalog,
  parseCatalog,
  resolveModel,
  suggestModelIds,
} from '../src/catalog/index.js';

const CATALOG_FILE = new URL('../data/models.json', import.meta.url);

describe('catalog snapshot', () => {
  it("is small, deterministic JSON holding the wire APIs' catalog namespaces only", () => {
    expect(statSync(CATALOG_FILE).size).toBeLessThan(300 * 1024);
    const text = readFileSync(CATALOG_FILE, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    // Sorted keys, two-space indent: what scripts/update-catalog.mjs writes.
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
            )
          : v;
    expect(text).toBe(`${JSON.stringify(sortKeys(JSON.parse(text)), null, 2)}\n`);
    // update-catalog.mjs reads the namespaces from WIRE_FACTS, so a new wire API's are here once regenerated.
    expect(catalogNamespaces()).toEqual(
      [...new Set(PROVIDER_TYPES.map((type) => WIRE_FACTS[type].catalogNamespace))].sort(),
    );
    expect(catalogNamespaces()).toEqual(expect.arrayContaining(['anthropic', 'google', 'openai']));
  });

  it('is read once and cached', () => {
    expect(loadCatalog()).toBe(loadCatalog());
    expect(loadCatalog().schema_version).toBe(1);
  });

  it('rejects a file that is not a catalog of this schema', () => {
    expect(() => parseCatalog('{"models": []}', 'x.json')).toThrow(/x.json: not a model catalog/);
    expect(() => parseCatalog('{"schema_version": 9, "providers": {}}', 'x.json')).toThrow(
      /schema_version 9/,
    );
  });
});

describe('findModel', () => {
  it('finds gpt-4o-mini with its limits, capabilities and prices', () => {
    const model = findModel('openai', 'gpt-4o-mini');
    expect(model).toMatchObject({
      id: 'gpt-4o-mini',
      namespace: 'openai',
      known: true,
      capabilities: {
        contextWindow: 128_000,
        maxOutputTokens: 16_384,
        supportsTools: true,
        supportsReasoning: false,
        inputModalities: ['text', 'image'],
      },
      supportsAttachments: true,
      prices: { input: 0.15, output: 0.6, cacheRead: 0.08 },
    });
    expect(model?.prices?.cacheWrite).toBeUndefined();
  });

  it('has Anthropic cache-write prices and Gemini modalities', () => {
    expect(findModel('anthropic', 'claude-sonnet-4-20250514')?.prices).toEqual({
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite: 3.75,
    });
    expect(findModel('google', 'gemini-2.5-flash')?.capabilities.inputModalities).toEqual([
      'text',
      'image',
      'audio',
      'video',
      'pdf',
    ]);
  });

  it('accepts Gemini "models/" names and dated snapshots of a listed alias, keeping the id asked for', () => {
    expect(findModel('google', 'models/gemini-2.5-pro')?.id).toBe('models/gemini-2.5-pro');
    const dated = findModel('openai', 'gpt-4o-mini-2024-07-18');
    expect(dated?.id).toBe('gpt-4o-mini-2024-07-18');
    expect(dated?.capabilities.contextWindow).toBe(128_000);
    expect(findModel('openai', 'gpt-4o-mini-2024')).toBeUndefined();
  });

  it('returns undefined for unknown models and namespaces, and ignores inherited keys', () => {
    expect(findModel('openai', 'gpt-4o-mni')).toBeUndefined();
    expect(findModel('mistral', 'mistral-large')).toBeUndefined();
    expect(findModel('openai', 'constructor')).toBeUndefined();
  });

  it('lists models by namespace, sorted', () => {
    const openai = listModels('openai');
    expect(openai.length).toBeGreaterThan(20);
    expect(openai.every((m) => m.namespace === 'openai')).toBe(true);
    expect(openai.map((m) => m.id)).toEqual([...openai.map((m) => m.id)].sort());
    expect(listModels().length).toBe(
      catalogNamespaces().reduce((sum, namespace) => sum + listModels(namespace).length, 0),
    );
    expect(findModelAnywhere('gpt-4o').map((m) => m.namespace)).toEqual(['openai']);
  });
});

describe('resolveModel', () => {
  it('maps provider types to catalog namespaces; catalog_provider overrides', () => {
    expect(catalogNamespace('gemini')).toBe('google');
    expect(catalogNamespace('openai_responses')).toBe('openai');
    expect(catalogNamespace('openai', { catalog_provider: 'anthropic' })).toBe('anthropic');
    expect(resolveModel(undefined, 'gemini', 'gemini-2.5-flash').namespace).toBe('google');
    expect(resolveModel(undefined, 'openai_responses', 'gpt-4o').namespace).toBe('openai');
    const proxied = resolveModel({ catalog_provider: 'anthropic' }, 'openai', 'claude-sonnet-4-20250514');
    expect(proxied.capabilities.contextWindow).toBe(200_000);
  });

  it("applies the registry entry's capability overrides over the catalog", () => {
    const model = resolveModel(
      {
        max_context_tokens: 50_000,
        max_output_tokens: 1_000,
        max_input_tokens: 40_000,
        input_modalities: ['text'],
        reasoning: true,
      },
      'openai',
      'gpt-4o-mini',
    );
    expect(model.capabilities).toEqual({
      contextWindow: 50_000,
      maxOutputTokens: 1_000,
      supportsTools: true,
      supportsReasoning: true,
      inputModalities: ['text'],
    });
    expect(model.maxInputTokens).toBe(40_000);
    expect(model.supportsAttachments).toBe(false);
    expect(model.prices?.input).toBe(0.15);
    expect(resolveModel({ attachment: false }, 'openai', 'gpt-4o-mini').supportsAttachments).toBe(false);
    // The catalog itself is not changed by an override.
    expect(findModel('openai', 'gpt-4o-mini')?.capabilities.contextWindow).toBe(128_000);
  });

  it('fails on an unknown model with a did-you-mean', () => {
    let error: unknown;
    try {
      resolveModel(undefined, 'openai', 'gpt-4o-mni');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'unknown model "gpt-4o-mni" for provider openai (did you mean "gpt-4o-mini"?)',
    );
    expect((error as ConfigError).location.keyPath).toBe('selection.model');
    expect((error as ConfigError).hint).toContain('skip_catalog_validation');
  });

  it('names the registry provider and omits the suggestion when nothing is close', () => {
    expect(() =>
      resolveModel(undefined, 'gemini', 'totally-different', {
        providerName: 'my-gemini',
        keyPath: 'x.model',
      }),
    ).toThrow(/^unknown model "totally-different" for provider my-gemini$/);
    expect(() => resolveModel({ catalog_provider: 'mistral' }, 'openai', 'mistral-large')).toThrow(
      /the model catalog has no provider "mistral"/,
    );
  });

  it('suggests only the closest ids, not every prefix', () => {
    expect(suggestModelIds('claude-sonet-4-5', ['claude-sonnet-4-5', 'claude-sonnet-4-0', 'claude'])).toEqual(
      ['claude-sonnet-4-5'],
    );
    expect(suggestModelIds('sonnet', ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-sonnet-4'])).toEqual([
      'claude-sonnet-4',
      'claude-sonnet-4-5',
    ]);
  });

  it('synthesises capabilities for unknown models when validation is skipped', () => {
    const model = resolveModel(undefined, 'openai', 'llama3.2', { skipValidation: true });
    expect(model).toMatchObject({
      id: 'llama3.2',
      known: false,
      capabilities: { contextWindow: 128_000, maxOutputTokens: 16_384, supportsTools: true },
    });
    expect(model.prices).toBeUndefined();
    const image = resolveModel(undefined, 'gemini', 'my-image-model', { skipValidation: true });
    expect(image.capabilities.supportsTools).toBe(false);
    expect(image.supportsAttachments).toBe(true);
    // Overrides still apply to a synthesised model.
    expect(
      resolveModel({ max_context_tokens: 8192 }, 'openai', 'llama3.2', { skipValidation: true }).capabilities
        .contextWindow,
    ).toBe(8192);
    // A known model keeps its catalog data even with validation skipped.
    expect(resolveModel(undefined, 'openai', 'gpt-4o-mini', { skipValidation: true }).known).toBe(true);
  });
});

describe('model tables', () => {
  it('lists models with context, output, prices, tools, reasoning and modalities', () => {
    const table = formatModelList([
      findModel('openai', 'gpt-4o-mini')!,
      findModel('google', 'gemini-2.5-pro')!,
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^PROVIDER\s+MODEL\s+CONTEXT\s+MAX OUT\s+IN \$\/M\s+OUT \$\/M\s+CACHE R\s+CACHE W\s+TOOLS\s+REASONING\s+INPUT$/,
    );
    expect(lines[1]).toMatch(
      /^openai\s+gpt-4o-mini\s+128K\s+16\.4K\s+0\.15\s+0\.6\s+0\.08\s+-\s+yes\s+no\s+text,image$/,
    );
    expect(lines[2]).toMatch(
      /^google\s+gemini-2\.5-pro\s+1\.05M\s+65\.5K\s+1\.25\s+10\s+0\.31\s+-\s+yes\s+yes\s+text,image,audio,video,pdf$/,
    );
    expect(lines.at(-1)).toBe('2 models; prices in US$ per million tokens');
    expect(formatModelList([])).toBe('no models\n');
  });

  it('shows one model in detail', () => {
    const text = formatModelDetails(findModel('anthropic', 'claude-sonnet-4-20250514')!);
    expect(text.split('\n')[0]).toBe('claude-sonnet-4-20250514 (Claude Sonnet 4)');
    expect(text).toMatch(/context window:\s+200,000 tokens/);
    expect(text).toMatch(/max output:\s+64,000 tokens/);
    expect(text).toMatch(/prices \(US\$ per 1M\):\s+input 3, output 15, cache read 0\.3, cache write 3\.75/);
    expect(text).toMatch(/tools:\s+yes/);
    const synthetic = formatModelDetails(
      resolveModel(undefined, 'openai', 'llama3.2', { skipValidation: true }),
    );
    expect(synthetic).toMatch(/prices \(US\$ per 1M\):\s+unknown/);
    expect(synthetic).toMatch(/note:\s+not in the model catalog/);
  });
});
