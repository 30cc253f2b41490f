/**
 * The wire table is the one source of per-type facts: these check that the derived tables come
 * from it and from the plain facts it reads from @oxydra/types (built-in registry, key variables).
 */
import { DEFAULT_PROVIDER_REGISTRY, PROVIDER_TYPES, providerKeyVariables, WIRE_FACTS } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  ADAPTER_FACTORIES,
  CATALOG_NAMESPACE_BY_TYPE,
  catalogNamespaces,
  DEFAULT_BASE_URLS,
  PROVIDER_TYPE_KEY_ENV,
  WIRE_APIS,
} from '../src/index.js';

describe('the wire table', () => {
  it('has exactly one row per provider type', () => {
    expect(Object.keys(WIRE_APIS).sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  it('is where the base URL, key variable, catalog namespace and adapter tables come from', () => {
    for (const type of PROVIDER_TYPES) {
      expect(DEFAULT_BASE_URLS[type]).toBe(WIRE_APIS[type].defaultBaseUrl);
      expect(PROVIDER_TYPE_KEY_ENV[type]).toBe(WIRE_APIS[type].keyEnv);
      expect(CATALOG_NAMESPACE_BY_TYPE[type]).toBe(WIRE_APIS[type].catalogNamespace);
      expect(ADAPTER_FACTORIES[type]).toBe(WIRE_APIS[type].adapter);
    }
  });

  it('names catalog namespaces the pinned catalog has', () => {
    for (const [type, api] of Object.entries(WIRE_APIS)) {
      expect(catalogNamespaces(), type).toContain(api.catalogNamespace);
    }
  });

  it('agrees with the built-in registry entries that @oxydra/types derives below this layer', () => {
    for (const [name, entry] of Object.entries(DEFAULT_PROVIDER_REGISTRY)) {
      // An in-process type has no URL: its entry has none.
      expect(entry.base_url ?? '', name).toBe(WIRE_APIS[entry.provider_type].defaultBaseUrl);
    }
    const builtIn = PROVIDER_TYPES.filter((type) => WIRE_APIS[type].builtInEntry);
    expect(
      Object.entries(DEFAULT_PROVIDER_REGISTRY).map(([name, entry]) => [name, entry.provider_type]),
    ).toEqual(builtIn.map((type) => [WIRE_APIS[type].builtInName ?? type, type]));
    expect(Object.keys(DEFAULT_PROVIDER_REGISTRY)).toEqual(['openai', 'anthropic', 'gemini', 'local']);
  });

  it('reads every fact but the adapter from WIRE_FACTS', () => {
    for (const type of PROVIDER_TYPES) {
      const { adapter: _adapter, ...facts } = WIRE_APIS[type];
      expect(facts, type).toEqual(WIRE_FACTS[type]);
    }
  });

  // What guests receive and the scrubber hides. Not a copy of the table (a new type's variable
  // needs no edit here): what must not change by accident is checked instead.
  it('lists each key variable once, in WIRE_FACTS order, then API_KEY, for the guests and the scrubber', () => {
    const own = PROVIDER_TYPES.map((type) => WIRE_FACTS[type].keyEnv).filter((name) => name !== '');
    expect(providerKeyVariables()).toEqual([...new Set(own), 'API_KEY']);
    // The variables users have set their keys in: renaming one loses their keys.
    expect(providerKeyVariables()).toEqual(
      expect.arrayContaining(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY']),
    );
    // Each crosses into a container guest: a key's name, never an ordinary variable (PATH, HOME).
    for (const name of providerKeyVariables()) expect(name).toMatch(/^[A-Z][A-Z0-9_]*_(KEY|TOKEN)$/);
  });

  it("builds each type's adapter, which reports its type", () => {
    for (const [type, api] of Object.entries(WIRE_APIS)) {
      expect(api.adapter({ name: 'n', baseURL: api.defaultBaseUrl, apiKey: 'k' }).type).toBe(type);
    }
  });
});
