/**
 * startGateway: the HTTP + WebSocket daemon on Fastify. Every request must name the gateway in
 * its Host header (auth.ts's hostCheck); every request but the health probes needs the bearer token;
 * WebSocket upgrades from foreign web origins are refused; a workspace whose .oxydra/ moved
 * away is refused work (workspace-guard.ts); bodies and
 * frames are size-limited. close() stops taking work, cancels running turns (waiting briefly for
 * them to store their messages and tell their clients), closes the sockets and the server.
 */
import type { ServerOptions } from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import { ConfigError } from '@oxydra/types';
import Fastify from 'fastify';
import { registerA2aRoutes } from './a2a/route.js';
import { mountApi } from './api/door.js';
import {
  hostCheck,
  isPublicRoute,
  OWNER,
  originAllowed,
  presentedToken,
  rememberPrincipal,
  selectProtocol,
  TokenCheck,
} from './auth.js';
import { isWildcardHost, urlHost } from './bind.js';
import { DropLog } from './drop-log.js';
import { startGuardian } from './guardian.js';
import { newTurnDeps } from './http/agent-turn.js';
import { registerChatCompletions } from './http/chat-completions.js';
import { frameworkErrors, setErrorReplies } from './http/fastify-errors.js';
import { ZOD_ONLY_SCHEMAS } from './http/fastify-schemas.js';
import { registerHealthRoutes } from './http/health.js';
import { useBoundedJson } from './http/json-body.js';
import { registerKernelAdminRoutes } from './http/kernel-admin.js';
import { registerKernelApprovalRoutes } from './http/kernel-approvals.js';
import { registerLoginRedeem } from './http/login-redeem.js';
import { registerMetricsRoute } from './http/metrics.js';
import { registerModelRoutes } from './http/models.js';
import { replyError } from './http/reply-error.js';
import { registerResponses } from './http/responses.js';
import { registerSessionRoutes } from './http/sessions.js';
import { registerStaticWeb } from './http/static-web.js';
import { GatewayHub } from './hub.js';
import { LoginCodes } from './login-codes.js';
import { registerMcpRoute } from './mcp/http-route.js';
import { RequestSlots } from './request-slots.js';
import { startScheduledRuns } from './scheduled-runs.js';
import { type HoldRun, TokenHolds } from './token-holds.js';
import { DEFAULT_LIMITS, type GatewayLimits, type GatewayLogger, type GatewayOptions } from './types.js';
import { startWorkspaceGuard } from './workspace-guard.js';
import { registerWebSocketRoute } from './ws/route.js';

export interface Gateway {
  /** http://HOST:PORT */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Archives idle sessions now (the timer does this periodically); how many. */
  archiveIdleSessions(): Promise<number>;
  /** Live WebSocket clients. */
  clientCount(): number;
  close(): Promise<void>;
}

const DEFAULT_SWEEP_MS = 5 * 60 * 1000;
const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
/** WebSocket frames beyond this many times the frame limit end the connection (1009) before they are read whole. */
const HARD_FRAME_FACTOR = 4;
const CLOSE_GOING_AWAY = 1001;

const quiet: GatewayLogger = () => {};

/**
 * Node's timers for receiving a request: the whole of it within `requestMs`, its headers within
 * half of that; checked often enough that a cut comes near the limit, not up to 30 s after it.
 */
function receiveTimeouts(requestMs: number): ServerOptions {
  return {
    requestTimeout: requestMs,
    headersTimeout: Math.max(1, Math.floor(requestMs / 2)),
    connectionsCheckingInterval: Math.min(5000, Math.max(50, Math.floor(requestMs / 4))),
  };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? quiet;
  const clock = options.clock ?? { now: () => Date.now() };
  const { kernel } = options;
  if (!kernel.config.memory.enabled) {
    throw new ConfigError(
      'the gateway keeps its sessions in the memory database, and [memory] enabled = false',
      { keyPath: 'memory.enabled' },
      { hint: 'set [memory] enabled = true (or remove the line) to run the gateway' },
    );
  }
  // One per-user limit for every door and the scheduler: the kernel's, set to the gateway's
  // ([gateway] max_concurrent_turns_per_user, or what an embedder passed in limits).
  const admission = await kernel.service('admission');
  admission.setLimit(limits.maxConcurrentTurnsPerUser);
  const tokenCheck = new TokenCheck(options.token);
  // A request with a bad token is logged once per address a period, then counted (drop-log.ts):
  // 10,000 of them were 10,000 warning lines.
  const badTokens = new DropLog(log, 'refused a request without a valid token', {
    ...(options.refusalLogMs !== undefined ? { everyMs: options.refusalLogMs } : {}),
    summary: (count, remote, everyMs) =>
      `refused ${count.toLocaleString('en-US')} more bad-token requests from ${remote ?? 'other addresses'} in the last ${Math.round(everyMs / 1000)} s`,
  });
  // What stored tokens hold open ends when they are revoked (token-holds.ts).
  const holds = new TokenHolds(() => kernel.service('tokens'), log, options.revocationSweepMs);
  // Plain HTTP requests each user token may have in flight, and answers nobody takes (request-slots.ts).
  const requests = new RequestSlots(limits.maxRequestsPerToken, limits.answerStallMs, log);
  const servesA2a = kernel.config.a2a.serve;
  let listening = '';
  let port = options.port;
  const host = options.host ?? '127.0.0.1';
  const hostAllowed = hostCheck({
    bindHost: host,
    port: () => port,
    publicHosts: kernel.config.gateway.public_hosts,
    publicUrl: kernel.config.a2a.public_url,
  });
  let stopScheduler: (() => Promise<void>) | undefined;
  // A moved .oxydra/ stops the schedules too: their runs would write where nobody looks.
  const workspace = startWorkspaceGuard(kernel, log, () => {
    void stopScheduler?.().catch(() => {});
  });
  // One of several processes on one store: cluster/ is loaded only then.
  const join = options.cluster ? await import('./cluster/join.js') : undefined;
  const access = await kernel.service('sessionAccess');
  const hub = new GatewayHub({
    // The hub runs every user's sessions, as the workspace's owner; each client's reads and
    // writes go through `access` with that client's user first.
    store: (await access.ownerStore(options.owner))!,
    access,
    admission,
    spawner: kernel.agents,
    approvals: kernel.approvals,
    agents: Object.keys(kernel.config.agents),
    limits,
    log,
    clock,
    sandbox: kernel.sandbox,
    assertWorkspace: () => workspace.assertSound(),
    ...(join && options.cluster ? { cluster: join.clusterFactory(options.cluster, admission, log) } : {}),
  });
  // One of several processes on one store: a member before it takes a request, and from then on
  // every door's run (turns, A2A, MCP, the scheduler's) takes its user's slot in the deployment.
  const cluster = hub.cluster;
  await cluster?.start();
  const stopFeedRelay = join && cluster ? await join.startFeedRelay(kernel, cluster) : undefined;

  const app = Fastify({
    logger: false,
    // Node's default for a request's body is no limit at all (Fastify sets 0): a client trickling
    // a byte now and then, even one already refused, held its socket for good.
    http: receiveTimeouts(limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    bodyLimit: limits.maxFrameBytes,
    forceCloseConnections: true,
    schemaController: ZOD_ONLY_SCHEMAS,
    frameworkErrors,
  });
  // Before any route or plugin is registered: each plugin scope keeps the parsers it started with.
  useBoundedJson(app);
  await app.register(fastifyWebsocket, {
    options: {
      // Frames over max_frame_bytes get an error frame; only far larger ones cost the connection.
      maxPayload: limits.maxFrameBytes * HARD_FRAME_FACTOR,
      handleProtocols: (protocols) => selectProtocol(protocols),
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    // First, on every route (probes, files, the card, upgrades): DNS rebinding (auth.ts's hostCheck).
    const named = request.headers.host;
    if (!hostAllowed(named)) {
      log('warn', 'refused a request for another host', { remote: request.ip, host: named?.slice(0, 200) });
      reply.header('connection', 'close');
      return replyError(
        reply,
        421,
        'misdirected_request',
        named === undefined
          ? 'the request has no Host header; send the address you reached the gateway at'
          : `this gateway does not answer to the host ${JSON.stringify(named.slice(0, 100))}; use its address, or add the name to [gateway] public_hosts`,
      );
    }
    if (isPublicRoute(request.routeOptions.config)) return;
    // A refused client does not keep its connection: its body (which may never end) is not read.
    const refuse = () => reply.header('connection', 'close');
    const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
    if (upgrade && !originAllowed(request.headers.origin, request.headers.host)) {
      refuse();
      log('warn', 'refused a WebSocket from a foreign origin', {
        remote: request.ip,
        origin: request.headers.origin?.slice(0, 200),
      });
      return replyError(
        reply,
        403,
        'forbidden_origin',
        'WebSocket connections from this origin are not allowed',
      );
    }
    const presented = presentedToken(request.headers);
    const principal = tokenCheck.matches(presented)
      ? OWNER
      : presented !== undefined
        ? await (await kernel.service('tokens')).authenticate(presented)
        : undefined;
    if (principal) rememberPrincipal(request.raw, principal);
    if (!principal) {
      badTokens.drop({ remote: request.ip, path }, request.ip);
      refuse();
      reply.header('www-authenticate', 'Bearer realm="oxydra-gateway"');
      return replyError(
        reply,
        401,
        'unauthorized',
        'missing or invalid gateway token: send "Authorization: Bearer <token>"',
      );
    }
    if (hub.closing) return replyError(reply, 503, 'shutting_down', 'the gateway is shutting down');
    const moved = workspace.problem();
    if (moved !== undefined) return replyError(reply, 503, 'workspace_moved', moved);
    // A WebSocket is held by its connection (ws/route.ts), which closes it with a reason.
    if (upgrade) return;
    if (!requests.hold(principal, reply)) return reply;
    reply.raw.once(
      'close',
      holds.hold(principal, () => request.raw.socket.destroy()),
    );
  });

  setErrorReplies(app, log, limits.maxFrameBytes);

  const guardian = startGuardian(
    kernel,
    options.auditVerifyMs ?? kernel.config.audit.verify_interval_secs * 1000,
    log,
  );
  registerHealthRoutes(
    app,
    hub,
    guardian,
    () => kernel.toolSourceHealth(),
    workspace,
    options.channelServing,
  );
  const loginCodes = new LoginCodes(() => clock.now());
  registerLoginRedeem(app, loginCodes);
  if (options.webRoot !== undefined) registerStaticWeb(app, options.webRoot);
  registerSessionRoutes(app, hub);
  registerKernelAdminRoutes(app, kernel);
  registerKernelApprovalRoutes(app, kernel);
  registerMetricsRoute(app, kernel);
  // A2A tasks and MCP run_agent calls share one per-token limit on running agents.
  // Their agents stop when the token that started them is revoked (token-holds.ts).
  const hold: HoldRun = (principal, end) => holds.hold(principal, end);
  const mcp = registerMcpRoute(app, kernel, hold, log);
  const a2a = servesA2a
    ? registerA2aRoutes(app, kernel, { listening: () => listening, hold, log })
    : undefined;
  const turns = newTurnDeps(hub, limits.sseKeepAliveMs, hold);
  registerModelRoutes(app, Object.keys(kernel.config.agents));
  registerChatCompletions(app, turns);
  registerResponses(app, turns);
  const sockets = registerWebSocketRoute(app, hub, holds);
  const api = mountApi(app, kernel, {
    loginCodes,
    clients: () => sockets.connections.size,
    keepAliveMs: limits.sseKeepAliveMs,
    trust: options.trust,
    channels: options.channels,
    log,
    maxBodyBytes: limits.maxFrameBytes,
    ...(cluster ? { remoteFeed: (listener) => cluster.onFeed(listener) } : {}),
  });
  stopScheduler =
    kernel.config.scheduler.enabled && options.scheduler !== false
      ? await startScheduledRuns(kernel, () => sockets.connections, log)
      : undefined;

  await app.listen({ host, port: options.port });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  listening = `http://${urlHost(host)}:${port}`;
  cluster?.serving(listening);
  if (servesA2a && kernel.config.a2a.public_url === undefined && isWildcardHost(host)) {
    log('warn', `the A2A agent card names ${listening}, which clients elsewhere cannot use`, {
      hint: 'set [a2a] public_url to the address clients reach the gateway at',
    });
  }

  const sweepMs =
    options.archiveSweepMs ?? Math.min(DEFAULT_SWEEP_MS, Math.max(1000, limits.sessionIdleTtlMs / 10));
  const sweeper = setInterval(() => {
    hub
      .archiveIdle()
      .catch((error: unknown) => log('warn', 'idle-session sweep failed', { error: String(error) }));
  }, sweepMs);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  return {
    url: listening,
    port,
    host,
    archiveIdleSessions: () => hub.archiveIdle(),
    clientCount: () => sockets.connections.size,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        holds.stop();
        guardian.stop();
        workspace.stop();
        await stopScheduler?.();
        await hub.shutdown(options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
        stopFeedRelay?.();
        await cluster?.stop();
        await mcp.closeAll();
        await a2a?.closeAll();
        sockets.closeAll(CLOSE_GOING_AWAY, 'gateway shutting down');
        await app.close();
        await api.close();
        // The bad-token count still to say is said, not lost with the process.
        badTokens.flush();
      })();
      return closing;
    },
  };
}
