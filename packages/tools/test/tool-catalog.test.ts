/**
 * The core tools as the model sees them, pinned: every definition is sent with every model call,
 * so a change to one (a description's wording, a schema's shape or key order) must be deliberate.
 * The fixture was first written by the build before the tools' code moved out of their
 * definitions. For a change you mean, run this file with `-u` (vitest rewrites the fixture),
 * review its diff, and check `node bench/prompt-size.mjs`.
 */
import { toolSpecOf } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type CoreToolsOptions, createCoreTools } from '../src/index.js';
import { shellConfig } from './helpers.js';

/** Two configurations between them set every option a description or schema depends on. */
const CONFIGS: CoreToolsOptions[] = [
  {
    shell: shellConfig({ allow_operators: true }),
    webSearch: { provider: 'duckduckgo', egress_allowlist: [] },
    vault: { path: '/vault-folder' },
    secretPaths: [],
  },
  {
    shell: shellConfig({ allow_operators: false }),
    read: { maxLines: 10, maxBytes: 100 },
    search: { maxMatches: 7 },
    webSearch: { provider: 'searxng', base_url: 'http://localhost:8888', egress_allowlist: [] },
    secretPaths: [],
  },
];

describe('the tool catalog', () => {
  it('is byte for byte what the model was offered before', async () => {
    const catalog = CONFIGS.map((config) =>
      createCoreTools(config).map((tool) => ({
        ...toolSpecOf(tool),
        ...(tool.onRequest ? { onRequest: true } : {}),
      })),
    );
    await expect(`${JSON.stringify(catalog, null, 2)}\n`).toMatchFileSnapshot('./fixtures/tool-catalog.json');
  });
});
