/**
 * What of Oxydra's environment a sandboxed shell_exec command sees: PATH and the locale, with the
 * sandbox's own HOME and TMPDIR. USER is not passed: it named Oxydra's user (root, under sudo or
 * in a container) to a command running as another uid (65534, or the workspace's owner). The
 * command's environment is built as shell_exec builds it (commandEnvironment) and run through
 * the kernel's own runner, in real bubblewrap.
 */
import { chownSync } from 'node:fs';
import { shellIsolation } from '@oxydra/kernel/workspace';
import { detectSandbox } from '@oxydra/sandbox/detect';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { commandEnvironment } from '@oxydra/tools';
import type { AgentConfigInput } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const hasBubblewrap = process.platform === 'linux' && detectSandbox().tier === 'bubblewrap';
const AS_ROOT = process.getuid?.() === 0;
const HOST = { PATH: '/usr/bin:/bin', LANG: 'C', USER: 'root', LOGNAME: 'root', HOME: '/root' };
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
const SHOW = 'echo "user=${USER-unset} logname=${LOGNAME-unset} home=$HOME uid=$(id -u)"';

describe.skipIf(!hasBubblewrap)('the environment of a sandboxed command', () => {
  let scratch: TempWorkspace;
  let workspace: string;
  beforeEach(() => {
    scratch = tempWorkspace({ prefix: 'oxydra-sandbox-env-' });
    workspace = scratch.dir;
    // As root, run_as = "auto" picks the workspace's owner: an ordinary uid.
    if (AS_ROOT) chownSync(workspace, 65534, 65534);
  });
  afterEach(() => scratch.cleanup());

  const run = (tools: AgentConfigInput['tools']) => {
    const config = agentConfigSchema.parse({
      selection: { provider: 'mock', model: 'm' },
      providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
      tools: { ...tools, sandbox: { mode: 'bubblewrap' } },
    });
    const isolation = shellIsolation(config, workspace);
    return isolation.runCommand!(SHOW, {
      cwd: workspace,
      env: commandEnvironment(HOST, config.tools.shell.env_keys),
      timeoutMs: 20_000,
    });
  };

  it("gets no USER or LOGNAME of Oxydra's user", async () => {
    const result = await run({});
    expect(result.output).toContain('user=unset logname=unset home=/tmp/home');
    if (AS_ROOT) expect(result.output).toContain('uid=65534');
  });

  it('gets USER when the user lists it in [tools.shell] env_keys', async () => {
    const result = await run({ shell: { env_keys: ['USER'] } });
    expect(result.output).toContain('user=root logname=unset');
  });
});
