/**
 * The held-back line names the origin of what it holds: the workspace's own `.oxydra/` settings
 * by key, and your own plugin or unsandboxed MCP server, held for where it resolves or starts,
 * as yours. It said "N settings of <ws>/.oxydra" for those too, a file that set nothing of them.
 * Each report is the loader's, from real files.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgentConfig } from '@oxydra/config';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { heldBackLine } from '../src/run/held-back-line.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** The loader's trust report for these files: your own agent.toml and the workspace's. */
async function report(files: { yours?: string; workspace?: string; package?: boolean }) {
  const tmp = tempWorkspace({ prefix: 'oxydra-held-line-' });
  cleanup = tmp.cleanup;
  const workspace = join(tmp.dir, 'ws');
  mkdirSync(workspace, { recursive: true });
  if (files.yours !== undefined) tmp.write('home/.config/oxydra/agent.toml', files.yours);
  if (files.workspace !== undefined) tmp.write('ws/.oxydra/agent.toml', files.workspace);
  if (files.package) {
    tmp.write(
      'ws/node_modules/oxydra-plugin-helper/package.json',
      '{"name":"oxydra-plugin-helper","main":"index.js"}',
    );
    tmp.write('ws/node_modules/oxydra-plugin-helper/index.js', 'export default {};\n');
  }
  mkdirSync(join(tmp.dir, 'etc'), { recursive: true });
  const env = { HOME: join(tmp.dir, 'home'), OXYDRA_SYSTEM_CONFIG_DIR: join(tmp.dir, 'etc') };
  const { trust } = await loadAgentConfig({ cwd: workspace, env });
  return { trust, workspace };
}

const OWN_PLUGIN = '[plugins.load.helper]\nfrom = "oxydra-plugin-helper"\n';
const OWN_SERVER = '[mcp.servers.helper]\ncommand = "sh"\nargs = ["tools/serve.sh"]\nsandbox = false\n';

describe('the held-back line', () => {
  it('names your own plugin and server as yours, not as settings of the workspace', async () => {
    const { trust, workspace } = await report({ yours: OWN_PLUGIN + OWN_SERVER, package: true });
    expect(trust.state).toBe('untrusted');
    expect(heldBackLine(trust)).toBe(
      `oxydra: held back in ${workspace} until you trust it: your plugin \`helper\` resolves inside this workspace; your MCP server \`helper\` starts unsandboxed in this workspace. Review and trust them with \`oxydra trust\`, or use --trust for one command.`,
    );
  });

  it("counts only the workspace's settings as its own, and adds yours after them", async () => {
    const { trust, workspace } = await report({
      yours: OWN_SERVER,
      workspace: '[tools]\napproval = "auto"\n',
    });
    expect(heldBackLine(trust)).toBe(
      `oxydra: held back 1 setting of ${workspace}/.oxydra that need your trust: tools.approval; also your MCP server \`helper\` starts unsandboxed in this workspace. Review and trust them with \`oxydra trust\`, or use --trust for one command.`,
    );
  });

  it("says the workspace's settings as before when nothing of yours is held", async () => {
    const { trust, workspace } = await report({ workspace: '[tools]\napproval = "auto"\n' });
    expect(heldBackLine(trust)).toBe(
      `oxydra: held back 1 setting of ${workspace}/.oxydra that need your trust: tools.approval. Review and trust them with \`oxydra trust\`, or use --trust for one command.`,
    );
  });
});
