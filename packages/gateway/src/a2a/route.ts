/**
 * The gateway as an A2A agent (protocol 1.0, and 0.3 for clients that name no version; JSON-RPC
 * binding): the agent card at
 * /.well-known/agent-card.json (public, as discovery needs) and the JSON-RPC methods at /a2a
 * behind the gateway's token: SendMessage, SendStreamingMessage (SSE), GetTask, ListTasks,
 * CancelTask, SubscribeToTask (0.3: message/send, message/stream, tasks/get, tasks/cancel,
 * tasks/resubscribe). Every token has its own tasks. The SDK's express adapter is not
 * used (the gateway is Fastify); its transport handler does the JSON-RPC, this route the HTTP.
 * The SDK loads on the first A2A request or card: a gateway nobody asks for A2A does not pay.
 */
import type { Kernel } from '@oxydra/kernel';
import type { Principal } from '@oxydra/kernel/admin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC_ROUTE, principalOf } from '../auth.js';
import { publicFailure } from '../errors.js';
import { boundedJsonParser } from '../http/json-body.js';
import { replyError } from '../http/reply-error.js';
import { answeredAsStream } from '../request-slots.js';
import { writeUnlessBehind } from '../slow-readers.js';
import { StreamSlots } from '../stream-slots.js';
import type { HoldRun } from '../token-holds.js';
import type { GatewayLogger } from '../types.js';
import {
  A2A_PATH,
  AGENT_CARD_PATH,
  agentCard,
  cardBaseUrl,
  isLegacyRequest,
  legacyAgentCard,
} from './agent-card.js';
import { OxydraAgentExecutor, PRINCIPAL_KEY } from './executor.js';
import { BoundedTaskStore } from './task-store.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
const A2A_CONTENT_TYPE = 'application/a2a+json';
/** JSON-RPC's "internal error": the SDK puts any error's message in it, whatever it holds. */
const JSON_RPC_INTERNAL = -32603;

/**
 * A JSON-RPC answer as a client may see it: an internal error's message (a library's or the
 * store's, which may name a path, a host or a credential) goes to the log, as publicFailure says.
 * Exported for its test: since bodies nested past 256 levels are refused as they are parsed
 * (json-body.ts), no request found from outside makes the SDK answer -32603.
 */
export function withoutInternalDetail(answer: unknown, log: GatewayLogger): unknown {
  const error = (answer as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error?.code !== JSON_RPC_INTERNAL) return answer;
  const message = publicFailure(new Error(String(error.message)), log, 'an A2A request');
  return { ...(answer as object), error: { ...error, message } };
}
/**
 * Streamed answers (SendStreamingMessage, SubscribeToTask) a `user` token may have open at once:
 * each is a listener on its task's events, and a token could otherwise open any number on one
 * task (stream-slots.ts).
 */
export const MAX_A2A_STREAMS_PER_USER_TOKEN = 8;
/** The methods whose answer is a stream, in both protocol versions. */
const STREAM_METHODS = new Set([
  'SendStreamingMessage',
  'SubscribeToTask',
  'message/stream',
  'tasks/resubscribe',
]);
const CARD_MAX_AGE_SECS = 300;

interface RouteOptions {
  /** The gateway's own address (http://HOST:PORT), once it listens: the card's fallback URL. */
  listening: () => string;
  /** Stops a task when the token that sent it is revoked. */
  hold: HoldRun;
  log?: GatewayLogger;
}

async function loadSdk(kernel: Kernel, options: RouteOptions) {
  const [sdk, server, legacy] = await Promise.all([
    import('@a2a-js/sdk'),
    import('@a2a-js/sdk/server'),
    import('@a2a-js/sdk/compat/v0_3/server'),
  ]);
  const executor = new OxydraAgentExecutor(kernel, {
    events: server.AgentEvent,
    hold: options.hold,
    log: options.log ?? (() => {}),
  });
  const store = new BoundedTaskStore((context) => context.user?.userName ?? 'unknown');
  const handler = new server.DefaultRequestHandler(
    agentCard(kernel.config, cardBaseUrl(kernel.config, options.listening())),
    store,
    executor,
  );
  return {
    sdk,
    server,
    executor,
    transport: new server.JsonRpcTransportHandler(handler),
    legacyTransport: new legacy.LegacyJsonRpcTransportHandler(handler),
    legacyError: legacy.LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError,
  };
}

export function registerA2aRoutes(
  app: FastifyInstance,
  kernel: Kernel,
  options: RouteOptions,
): { closeAll(): Promise<void> } {
  let loaded: ReturnType<typeof loadSdk> | undefined;
  const streams = new StreamSlots(MAX_A2A_STREAMS_PER_USER_TOKEN);
  const sdk = () => {
    loaded ??= loadSdk(kernel, options);
    return loaded;
  };

  app.get(AGENT_CARD_PATH, PUBLIC_ROUTE, async (request, reply) => {
    const { sdk: types } = await sdk();
    const card = agentCard(kernel.config, cardBaseUrl(kernel.config, options.listening()));
    const body = isLegacyRequest(request.headers['a2a-version'])
      ? legacyAgentCard(card)
      : types.AgentCard.toJSON(card);
    return reply
      .header('cache-control', `public, max-age=${CARD_MAX_AGE_SECS}`)
      .header('vary', 'A2A-Version')
      .type('application/json')
      .send(JSON.stringify(body));
  });

  // A2A clients may send their own media type; its body is JSON like any other, parsed by
  // Fastify's own parser so `__proto__` and `constructor.prototype` keys are refused here too
  // (a plain JSON.parse took them in and handed them to the SDK), under the same depth bound.
  app.addContentTypeParser(A2A_CONTENT_TYPE, { parseAs: 'string' }, boundedJsonParser(app));

  app.post(A2A_PATH, async (request, reply) => {
    const loaded = await sdk();
    const { server } = loaded;
    const principal = principalOf(request.raw);
    const body = request.body as { id?: string | number | null; method?: unknown } | undefined;
    const id = body && typeof body === 'object' ? (body.id ?? null) : null;
    // A slot is taken before the SDK starts anything, and freed unless a stream holds it.
    const release =
      body && typeof body === 'object' && STREAM_METHODS.has(body.method as string)
        ? streams.take(principal)
        : () => {};
    if (release === undefined) {
      return replyError(
        reply,
        429,
        'rate_limited',
        `too many A2A streams open with this token (at most ${MAX_A2A_STREAMS_PER_USER_TOKEN}); close some`,
      );
    }
    const version = request.headers['a2a-version'];
    const legacy = isLegacyRequest(version);
    const transport = legacy ? loaded.legacyTransport : loaded.transport;
    const mapSdkError = legacy ? loaded.legacyError : server.JsonRpcTransportHandler.mapToJSONRPCError;
    const log = options.log ?? (() => {});
    const mapError = (error: unknown) =>
      (withoutInternalDetail({ error: mapSdkError(error) }, log) as { error: unknown }).error;
    const context = new server.ServerCallContext({
      user: { isAuthenticated: true, userName: principal.tokenId },
      ...(typeof version === 'string' ? { requestedVersion: version } : {}),
      state: new Map<string, unknown>([[PRINCIPAL_KEY, principal satisfies Principal]]),
    });
    let answer: unknown;
    try {
      server.validateVersion(context.requestedVersion, agentCard(kernel.config, ''), 'JSONRPC');
      answer = await transport.handle(request.body as Record<string, unknown>, context);
    } catch (error) {
      release();
      return reply.send({ jsonrpc: '2.0', id, error: mapError(error) });
    }
    if (!isStream(answer)) {
      release();
      return reply.send(withoutInternalDetail(answer, log));
    }
    reply.raw.once('close', release);
    return streamAnswer(reply, answer, id, mapError, loaded.sdk.formatSSEEvent, options.log);
  });

  return {
    async closeAll() {
      if (!loaded) return;
      const { executor } = await loaded;
      await executor.cancelAll('the gateway is shutting down');
    },
  };
}

type Stream = AsyncGenerator<unknown, void, undefined>;

function isStream(value: unknown): value is Stream {
  return typeof (value as Stream | undefined)?.[Symbol.asyncIterator] === 'function';
}

/**
 * Writes a streamed answer as server-sent events. A client that goes away stops the stream,
 * not the task: it runs on, and SubscribeToTask or GetTask pick it up again.
 */
async function streamAnswer(
  reply: FastifyReply,
  stream: Stream,
  id: string | number | null,
  mapError: (error: unknown) => unknown,
  format: (event: unknown) => string,
  log: GatewayLogger | undefined,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  let first: IteratorResult<unknown, void>;
  try {
    first = await iterator.next();
  } catch (error) {
    return reply.send({ jsonrpc: '2.0', id, error: mapError(error) });
  }
  reply.hijack();
  const raw = reply.raw;
  answeredAsStream(raw);
  raw.writeHead(200, SSE_HEADERS);
  let gone = false;
  raw.once('close', () => {
    if (raw.writableEnded) return;
    gone = true;
    void iterator.return(undefined);
  });
  try {
    // A client that stops reading is cut and its stream ended, not buffered for.
    for (let next = first; !next.done && !gone; next = await iterator.next()) {
      if (!writeUnlessBehind(raw, format(next.value), log, 'A2A stream')) {
        gone = true;
        void iterator.return(undefined);
      }
    }
  } catch (error) {
    if (!gone)
      raw.write(`event: error\ndata: ${JSON.stringify({ jsonrpc: '2.0', id, error: mapError(error) })}\n\n`);
  } finally {
    if (!raw.writableEnded) raw.end();
  }
}
