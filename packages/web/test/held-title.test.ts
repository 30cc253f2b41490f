/**
 * The Configuration page's trust banner names the user's own held items (their plugin found in
 * the workspace, their unsandboxed MCP server started in it) as theirs, as the CLI's held-back
 * line does: "N settings of <ws>/.oxydra" sent the user looking for a line the workspace's
 * files never wrote.
 */
import { describe, expect, it } from 'vitest';
import type { HeldSetting } from '../src/api-types.js';
import { heldBackTitle, heldCounts, heldCountText, heldVerb } from '../src/pages/held-title.js';

const WS = '/home/me/repo';
const setting = (key: string): HeldSetting => ({
  key,
  source: `${WS}/.oxydra/agent.toml`,
  why: 'w',
  value: '1',
});
const server: HeldSetting = {
  ...setting('mcp.servers.notes.sandbox'),
  source: WS,
  yours: { kind: 'mcp-server', name: 'notes' },
};
const plugin: HeldSetting = {
  ...setting('plugins.linter'),
  source: WS,
  yours: { kind: 'plugin', name: 'linter' },
};

describe('heldBackTitle', () => {
  it("counts the workspace's own settings as before", () => {
    expect(heldBackTitle(WS, [setting('tools.approval'), setting('providers.registry.x.base_url')])).toBe(
      `2 settings of ${WS}/.oxydra are held back until you trust this workspace`,
    );
    expect(heldBackTitle(WS, [setting('tools.approval')])).toBe(
      `1 setting of ${WS}/.oxydra is held back until you trust this workspace`,
    );
  });

  it('names your own items as yours, alone or beside the workspace settings', () => {
    expect(heldBackTitle(WS, [server])).toBe(
      `Held back in ${WS} until you trust this workspace: your MCP server \`notes\` starts unsandboxed in this workspace`,
    );
    expect(heldBackTitle(WS, [setting('tools.approval'), server, plugin])).toBe(
      `1 setting of ${WS}/.oxydra is held back until you trust this workspace; also your MCP server \`notes\` starts unsandboxed in this workspace; your plugin \`linter\` resolves inside this workspace`,
    );
  });
});

// The trusted line, the confirm button and Health said "5 settings" for 4 of the workspace's and
// the user's own server: the count now says them apart, as the banner does.
describe('heldCountText', () => {
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

  it('says only what there is', () => {
    expect(heldCountText({ settings: 0, yours: 1 }, 'its .oxydra')).toBe('1 item of your own');
    expect(heldVerb({ settings: 0, yours: 1 }, 'applies', 'apply')).toBe('applies');
    expect(heldCountText({ settings: 2, yours: 0 })).toBe('2 settings');
    expect(heldCountText({ settings: 0, yours: 0 })).toBe('0 settings');
  });
});
