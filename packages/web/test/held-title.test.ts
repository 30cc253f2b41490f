/**
 * The Configuration page's trust banner names the user's own held items (their plugin found in
 * the workspace, their unsandboxed MCP server started in it) as theirs, as the CLI's held-back
 * line does: "N settings of <ws>/.oxydra" sent the user looking for a line the workspace's
 * files never wrote.
 */
import { describe, expect, it } from 'vitest';
import type { HeldSetting } from '../src/api-types.js';
import { heldBackTitle } from '../src/pages/held-title.js';

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

  // agent.toml and providers.toml both setting a key hold it twice: one setting, as the CLI's
  // line counts it (the title said "2 settings" and named nothing more).
  it('counts a key two of the workspace files set once', () => {
    const again = { ...setting('providers.registry.x.api_key'), source: `${WS}/.oxydra/providers.toml` };
    expect(heldBackTitle(WS, [setting('providers.registry.x.api_key'), again])).toBe(
      `1 setting of ${WS}/.oxydra is held back until you trust this workspace`,
    );
  });
});
