/**
 * Every built-in tool is decided for replays: run for real in the replay's workspace
 * (WORKSPACE_TOOLS) or answered from the recording because it reaches beyond the workspace.
 * A new built-in tool fails here until it is put on one side (CONTRIBUTING.md, "Add a built-in
 * tool", step 4).
 */
import { createCoreTools } from '@oxydra/tools';
import { toolsSchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { WORKSPACE_TOOLS } from '../src/replay/index.js';

/** Built-in tools a replay answers from the recording: they reach the network. */
const REACHING_OUT = new Set(['web_fetch', 'web_search']);

describe('replayed built-in tools', () => {
  it('puts every built-in tool either in WORKSPACE_TOOLS or among those answered from the recording', () => {
    const tools = createCoreTools({
      shell: toolsSchema().parse({ shell: { enabled: true } }).shell,
      vault: { path: '/nonexistent-vault' },
      webSearch: { provider: 'duckduckgo', egress_allowlist: [] },
    }).map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(['file_read', 'shell_exec', 'vault_copyto', 'web_fetch']));
    const undecided = tools.filter((name) => !WORKSPACE_TOOLS.has(name) && !REACHING_OUT.has(name));
    expect(undecided).toEqual([]);
    expect(tools.filter((name) => WORKSPACE_TOOLS.has(name) && REACHING_OUT.has(name))).toEqual([]);
  });
});
