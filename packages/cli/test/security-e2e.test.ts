/**
 * Containment through the real binary: shell_exec in the bubblewrap sandbox cannot write
 * outside the workspace or see provider keys, and web_fetch refuses loopback. The same escape
 * with --sandbox none succeeds: the control that makes the sandboxed result meaningful.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv | undefined;
let victim: Server | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  await new Promise((resolve) => (victim ? victim.close(resolve) : resolve(undefined)));
  victim = undefined;
});

const hasBwrap = existsSync('/usr/bin/bwrap');

describe.skipIf(!hasBwrap)('shell_exec in the bubblewrap sandbox', () => {
  it('cannot write outside the workspace or read provider keys; with --sandbox none it can', async () => {
    // The workspace is <root>/workspace, so ../escaped.txt is <root>/escaped.txt on the host.
    const escapeCall = {
      name: 'shell_exec',
      arguments: { command: 'echo pwned > ../escaped.txt; echo "key=[$OPENAI_API_KEY]"' },
    };
    env = await AgentEnv.start(E2E_APIS[0]!, [
      {
        match: { lastMessageContains: 'Try to escape' },
        reply: { toolCalls: [escapeCall] },
        times: 'always',
      },
      { reply: { text: 'Tried.' }, times: 'always' },
    ]);
    env.sandbox.env.OPENAI_API_KEY = 'sk-should-never-leak-123456';
    const outside = join(env.sandbox.root, 'escaped.txt');

    const sandboxed = await env.run(['run', '--json', 'Try to escape']);
    expect(sandboxed.status).toBe(0);
    expect(existsSync(outside)).toBe(false);
    expect(env.requestText(1)).toContain('key=[]');
    expect(env.requestText(1)).not.toContain('sk-should-never-leak');

    const unsandboxed = await env.run(['run', '--json', '--sandbox', 'none', 'Try to escape']);
    expect(unsandboxed.status).toBe(0);
    expect(unsandboxed.stderr).toContain('SANDBOX OFF');
    expect(existsSync(outside)).toBe(true);
  });
});

describe('web_fetch', () => {
  it('refuses a loopback address, so the agent cannot reach local services', async () => {
    let hits = 0;
    victim = createServer((_request, response) => {
      hits += 1;
      response.end('secret admin page');
    });
    await new Promise<void>((resolve) => victim!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(victim.address() as AddressInfo).port}/admin`;
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { toolCalls: [{ name: 'web_fetch', arguments: { url } }] } },
      { reply: { text: 'Refused.' } },
    ]);
    const result = await env.run(['run', '--json', 'Fetch the admin page']);
    expect(result.status).toBe(0);
    expect(result.events.find((e) => e.type === 'tool_execution_end')).toMatchObject({
      name: 'web_fetch',
      isError: true,
    });
    expect(env.requestText(1)).not.toContain('secret admin page');
    expect(hits).toBe(0);
  });
});
