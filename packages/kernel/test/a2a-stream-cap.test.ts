/**
 * A configured A2A remote that streams its task for ever (status after status, never ending):
 * before, every byte was read and parsed for as long as the remote's timeout let it (the kept
 * answer was capped, the stream was not). Now what one remote answer brings is cut at
 * MAX_RESPONSE_BYTES: the call fails with an error naming the cap and the remote task is
 * cancelled (docs/security.md, "A2A").
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ToolContext } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { a2aDelegateTool } from '../src/a2a/delegate-tool.js';
import { MAX_RESPONSE_BYTES } from '../src/a2a/remote-client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A remote whose task t1 streams working statuses until its client goes; what it sent and was asked. */
async function endlessRemote() {
  const seen = { sent: 0, methods: [] as string[] };
  let self = '';
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url?.startsWith('/.well-known/')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            name: 'remote',
            description: 'streams for ever',
            supportedInterfaces: [{ url: `${self}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
            version: '1',
            capabilities: { streaming: true },
            defaultInputModes: ['text/plain'],
            defaultOutputModes: ['text/plain'],
            skills: [],
          }),
        );
        return;
      }
      const method = JSON.parse(body).method as string;
      seen.methods.push(method);
      const task = (state: string) => ({ id: 't1', contextId: 'c1', status: { state } });
      if (method === 'CancelTask') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: task('TASK_STATE_CANCELED') }));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const working = {
        statusUpdate: {
          taskId: 't1',
          contextId: 'c1',
          status: {
            state: 'TASK_STATE_WORKING',
            message: { messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'x'.repeat(16 * 1024) }] },
          },
        },
      };
      const event = `data: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: working })}\n\n`;
      response.write(
        `data: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { task: task('TASK_STATE_WORKING') } })}\n\n`,
      );
      // Writes as fast as the client reads, for ever (until the client hangs up).
      const pump = () => {
        while (!response.destroyed) {
          seen.sent += event.length;
          if (!response.write(event)) {
            response.once('drain', pump);
            return;
          }
        }
      };
      response.on('close', () => response.destroy());
      pump();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: self, seen };
}

describe('a configured A2A remote that streams without end', () => {
  it('is cut at the byte cap with an error naming it, and its task is cancelled', async () => {
    const remote = await endlessRemote();
    const config = agentConfigSchema.parse({
      selection: { provider: 'openai', model: 'gpt-4o-mini' },
      providers: { registry: { openai: { provider_type: 'openai' } } },
      a2a: { remotes: { r: { url: remote.url, timeout_secs: 15 } } },
    });
    const delegate = a2aDelegateTool({ config, env: {}, accountOf: () => undefined, audit: () => {} });
    const context: ToolContext = { workspace: '/tmp', agentId: 'a1', signal: new AbortController().signal };
    const result = await delegate.execute({ url_or_name: 'r', task: 'hello' }, context);
    const { content, isError } = typeof result === 'string' ? { content: result, isError: false } : result;
    expect(isError).toBe(true);
    expect(content).toMatch(
      /^r: the remote sent more than 5 MiB in one answer \(the cap on what one remote task may send\); the task was cancelled$/,
    );
    expect(remote.seen.methods).toEqual(['SendStreamingMessage', 'CancelTask']);
    // Read no further than the cap and what the sockets held when it was cut.
    expect(remote.seen.sent).toBeLessThan(4 * MAX_RESPONSE_BYTES);
  });
});
