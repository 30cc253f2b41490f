/**
 * The one rule for counting what workspace trust holds back, which the CLI's held-back line, the
 * gateway's /trust message and /health counts, and the dashboard all say: the workspace's own
 * settings one per key, the user's own items one per plugin or server, counted apart.
 */
import { describe, expect, it } from 'vitest';
import {
  type HeldItem,
  heldCounts,
  heldCountText,
  heldSettingKeys,
  heldVerb,
  yourHeldItems,
} from '../src/held-items.js';

const setting = (key: string): HeldItem => ({ key });
const server: HeldItem = { key: 'mcp.servers.notes.sandbox', yours: { kind: 'mcp-server', name: 'notes' } };
const plugin: HeldItem = { key: 'plugins.linter', yours: { kind: 'plugin', name: 'linter' } };

describe('heldCounts', () => {
  it("counts the user's own items apart from the workspace's settings, one per item", () => {
    const counts = heldCounts([
      setting('tools.approval'),
      server,
      { ...server, key: 'mcp.servers.notes.cwd' },
      plugin,
    ]);
    expect(counts).toEqual({ settings: 1, yours: 2 });
    expect(heldCountText(counts, 'its .oxydra')).toBe('1 setting of its .oxydra and 2 items of your own');
    expect(heldCountText(counts)).toBe('1 setting and 2 items of your own');
    expect(heldVerb(counts, 'applies', 'apply')).toBe('apply');
  });

  // agent.toml and providers.toml of the same .oxydra may both set a key: two held entries, one
  // setting. The CLI said "1 setting", the dashboard and the gateway "2 settings".
  it('counts a key two of the workspace files set once', () => {
    const held = [setting('providers.registry.x.api_key'), setting('providers.registry.x.api_key')];
    expect(heldCounts(held)).toEqual({ settings: 1, yours: 0 });
    expect(heldSettingKeys(held)).toEqual(['providers.registry.x.api_key']);
  });

  it('tells a plugin and a server of the same name apart', () => {
    const namesake: HeldItem = { key: 'plugins.notes', yours: { kind: 'plugin', name: 'notes' } };
    expect(heldCounts([server, namesake])).toEqual({ settings: 0, yours: 2 });
  });
});

describe('heldCountText', () => {
  it('says only what there is', () => {
    expect(heldCountText({ settings: 0, yours: 1 }, 'its .oxydra')).toBe('1 item of your own');
    expect(heldVerb({ settings: 0, yours: 1 }, 'applies', 'apply')).toBe('applies');
    expect(heldCountText({ settings: 2, yours: 0 })).toBe('2 settings');
    expect(heldCountText({ settings: 0, yours: 0 })).toBe('0 settings');
  });
});

describe('yourHeldItems', () => {
  it('names each of your items once, in the order held, through the caller’s escaping', () => {
    expect(yourHeldItems([plugin, server, { ...server, key: 'mcp.servers.notes.cwd' }])).toEqual([
      'your plugin `linter` resolves inside this workspace',
      'your MCP server `notes` starts unsandboxed in this workspace',
    ]);
    const odd: HeldItem = { key: 'plugins.a', yours: { kind: 'plugin', name: 'a\nb' } };
    expect(yourHeldItems([odd], (name) => name.replace('\n', '\\n'))).toEqual([
      'your plugin `a\\nb` resolves inside this workspace',
    ]);
  });
});
