/**
 * The paths the model sees in tool output are paths its tools accept: the real binary runs
 * commands printing absolute workspace paths (pwd, compiler-style errors), then the model reads
 * a file by the path it was shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('workspace paths in tool output', () => {
  it('shows the workspace as "." and a file under it as ./path, which file_read then reads', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      {
        reply: {
          toolCalls: [
            {
              name: 'shell_exec',
              arguments: {
                command:
                  'pwd; echo "$PWD/src/a.ts:3:5: error TS2304"; echo "see \'$PWD/out/x\'"; echo "$PWD-other/x"',
              },
            },
          ],
        },
      },
      { reply: { toolCalls: [{ name: 'file_read', arguments: { path: './out/x' } }] } },
      { reply: { text: 'Read it.' } },
    ]);
    env.sandbox.write('out/x', 'contents of x\n');
    const result = await env.run(['run', '--json', 'where am I?']);
    expect(result.status).toBe(0);

    const shown = env.requestText(1);
    expect(shown).not.toContain(`${env.workspace}/`);
    expect(shown).not.toContain(`${env.workspace}\\n`);
    expect(shown).toContain(".\\n./src/a.ts:3:5: error TS2304\\nsee './out/x'");
    // A sibling folder whose name starts with the workspace's is left alone (it is not the workspace).
    expect(shown).toContain(`${env.workspace}-other/x`);
    expect(env.requestText(2)).toContain('contents of x');
  });
});
