/**
 * The A2A SDK's own client, as a third party would use it against a gateway (JSON-RPC, the
 * bearer token on every call), and the few shapes the A2A tests build and read. Shared by the
 * gateway's tests and the CLI's end-to-end tests.
 */
import type { Part, SendMessageRequest, Task } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';

/** An SDK client for the A2A agent at `baseUrl`, presenting `token` (none: no header). */
export function a2aClient(baseUrl: string, token: string | undefined): Promise<Client> {
  const fetchImpl: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  return new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
    cardResolver: new DefaultAgentCardResolver(),
  }).createFromUrl(baseUrl);
}

/** A user message with one text part, as a SendMessage request. */
export function a2aMessage(
  text: string,
  extra: { contextId?: string; metadata?: Record<string, unknown> } = {},
): SendMessageRequest {
  return {
    tenant: '',
    message: {
      messageId: crypto.randomUUID(),
      contextId: extra.contextId ?? '',
      taskId: '',
      role: 1,
      parts: [
        {
          content: { $case: 'text', value: text },
          metadata: undefined,
          filename: '',
          mediaType: 'text/plain',
        },
      ],
      metadata: extra.metadata,
      extensions: [],
      referenceTaskIds: [],
    },
    configuration: undefined,
    metadata: undefined,
  };
}

/** The text of some parts, joined. */
export const partsText = (parts: readonly Part[] = []) =>
  parts.map((part) => (part.content?.$case === 'text' ? part.content.value : '')).join('');

/** The text of a task's artifacts (its answer). */
export const answerOf = (task: Task) => partsText(task.artifacts.flatMap((artifact) => artifact.parts));

/** The text of a task's status message (why it was rejected, failed or cancelled). */
export const statusText = (task: Task) => partsText(task.status?.message?.parts);
