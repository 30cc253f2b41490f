/**
 * What the gateway is given: a kernel (which assembles every turn's agent and holds the session
 * store), the token and the limits. Tests run a real gateway on a real kernel with a scripted
 * in-process provider and a temporary database.
 */
import type { WorkspaceTrust } from '@oxydra/config';
import type { Kernel } from '@oxydra/kernel';
import type { OwnerGrant } from '@oxydra/kernel/admin';
import type { ChannelReport } from '@oxydra/types';
import type { GatewayClusterOptions } from './cluster/options.js';

/** An attachment sent with a turn: base64 data and its MIME type. */
export interface TurnAttachment {
  mimeType: string;
  data: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** One log line: a message and fields. Never given a token or an API key. */
export type GatewayLogger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Time, injectable so tests can move it (the idle-session sweep). */
export interface Clock {
  now(): number;
}

export interface GatewayLimits {
  /** Active (unarchived, top-level) sessions a user may have. */
  maxSessionsPerUser: number;
  /** Turns running at once per user; more wait in a FIFO queue. */
  maxConcurrentTurnsPerUser: number;
  /** Sessions with no client and no turn for this long are archived. */
  sessionIdleTtlMs: number;
  /** Largest accepted WebSocket frame and HTTP body. */
  maxFrameBytes: number;
  /** Token bucket per connection: sustained frames per second, and the burst. */
  rateLimitPerSec: number;
  rateLimitBurst: number;
  /**
   * Plain HTTP requests (not streamed answers, not WebSocket upgrades) a `user` token may have in
   * flight at once, from arrival until its answer is taken or the connection ends; more get 429.
   */
  maxRequestsPerToken: number;
  /** How often a streamed HTTP answer sends a keep-alive comment while the turn is quiet. */
  sseKeepAliveMs: number;
  /**
   * How long a client may take to send a whole request (headers and body); a slower one is cut
   * off (slowloris). Answers, streams and WebSockets are not bound by it: it ends once the request
   * is in.
   */
  requestTimeoutMs: number;
  /** How long a non-streamed answer's client may take nothing of it before it is cut (slow-readers.ts). */
  answerStallMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxSessionsPerUser: 50,
  maxConcurrentTurnsPerUser: 10,
  sessionIdleTtlMs: 48 * 3600 * 1000,
  maxFrameBytes: 1024 * 1024,
  rateLimitPerSec: 50,
  rateLimitBurst: 100,
  maxRequestsPerToken: 32,
  sseKeepAliveMs: 15_000,
  requestTimeoutMs: 30_000,
  answerStallMs: 30_000,
};

export interface GatewayOptions {
  /** Default 127.0.0.1. The CLI refuses non-loopback hosts unless a token was configured. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The bearer token clients must present. Only its SHA-256 is kept. */
  token: string;
  /** Runs every turn; its memory database holds the sessions (memory must be on). */
  kernel: Kernel;
  /**
   * The kernel's owner grant (given only to whoever opened it, `openKernel(options, { ownerGrant: true })`):
   * the hub runs every user's sessions, so it holds the whole store, which only the grant opens.
   */
  owner: OwnerGrant;
  limits?: Partial<GatewayLimits>;
  log?: GatewayLogger;
  clock?: Clock;
  /** How often idle sessions are looked for; default 5 minutes (at most a tenth of the TTL). */
  archiveSweepMs?: number;
  /** How often the audit chain is verified; default [audit] verify_interval_secs (5 minutes). */
  auditVerifyMs?: number;
  /**
   * How often revocations made by other processes (`oxydra token revoke`) are looked for while a
   * stored token holds a connection open; default 5 s (token-holds.ts). Revocations through this
   * gateway end its connections at once.
   */
  revocationSweepMs?: number;
  /**
   * The period of the bad-token warning's summary lines (drop-log.ts): the first refused request
   * from an address is logged, the rest counted and said once a period; default 60 s.
   */
  refusalLogMs?: number;
  /** How long close() waits for cancelled turns to end and store their messages; default 5 s. */
  shutdownGraceMs?: number;
  /** false: do not fire schedules even with [scheduler] enabled (a test drives the kernel's). */
  scheduler?: boolean;
  /**
   * The built web dashboard (@oxydra/web's dist folder) to serve at / and /assets/*, open
   * without a token; unset serves none. A folder without index.html answers / with a 404 page
   * saying to run `npm run build`.
   */
  webRoot?: string;
  /** The workspace trust the configuration was loaded with (api/routes/trust.ts); unset: none to show. */
  trust?: GatewayTrust;
  /**
   * This process is one of several gateway processes on one store (PostgreSQL): its membership,
   * run claims and the event bus to the others. Unset: the only one (the embedded store).
   */
  cluster?: GatewayClusterOptions;
  /**
   * Reads the chat channels' reports (GET /api/v1/channels): the channels run in this process's
   * hosts (`oxydra gateway`, [gateway] channels) or another's (`oxydra channels run`), from a
   * package the gateway cannot import, so its starter hands this in. Unset: no such route.
   */
  channels?: () => Promise<ChannelReport[]>;
  /**
   * The enabled channels and whether this process answers each (its starter runs them beside
   * the gateway), listed by /readyz. Unset: none.
   */
  channelServing?: () => readonly GatewayChannelServing[];
}

/** An enabled chat channel and whether the gateway's process answers it. */
export interface GatewayChannelServing {
  channel: string;
  state: 'answering' | 'answered elsewhere' | 'not started';
}

/**
 * What `oxydra gateway` loaded about workspace trust: the report (what was held back), and the
 * environment it was loaded with, whose HOME holds the trust.json a decision is recorded in.
 */
export interface GatewayTrust {
  report: WorkspaceTrust;
  env: NodeJS.ProcessEnv;
}

/** The user a client is when it does not say (hello without user_id, HTTP without `user`). */
export const DEFAULT_USER = 'default';
/** The agent a session runs when none is named: the top-level configuration. */
export const DEFAULT_AGENT = 'default';
/** channel_origin of sessions the gateway creates. */
export const GATEWAY_CHANNEL = 'gateway';
