/**
 * A gateway serving one workspace: the token, the bind check, the kernel (which opens the memory
 * database the sessions live in, and scrubs the token like any other secret) and the listening
 * server. Used by `oxydra gateway`, and by anything else that runs a gateway in-process (a
 * runner's guest).
 */
import type { RunningChannels } from '@oxydra/channels';
import { GATEWAY_TOKEN_ENV } from '@oxydra/config/admin';
import {
  DEFAULT_LIMITS,
  type Gateway,
  type GatewayClusterOptions,
  type GatewayLimits,
  type GatewayLogger,
  isLoopbackHost,
  parseBind,
  type ResolvedToken,
  resolveGatewayToken,
  startGateway,
} from '@oxydra/gateway';
import type { GuestPolicy, Kernel } from '@oxydra/kernel';
import type { OwnerGrant } from '@oxydra/kernel/admin';
import { knownSecrets } from '@oxydra/kernel/workspace';
import { type AgentConfig, ConfigError, UsageError } from '@oxydra/types';
import { processInfo } from './deployment-member.js';
import { type GatewayRegistration, registerGateway, sharedWorkspaceWarning } from './gateway-registry.js';
import { anyChannelEnabled } from './schedule-chats.js';
import { type CliKernelOptions, loadRunConfigAndTrust, type RunFlags } from './spawn-flags.js';
import { openKernelWithStores, type SharedStore } from './store-choice.js';

/** Why the gateway's address could not be listened on, by the error code. */
const LISTEN_PROBLEMS: Readonly<Record<'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EACCES', string>> = {
  EADDRINUSE: 'another process is already listening there',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'permission denied (a port below 1024 needs root)',
};

export interface WorkspaceGatewayOptions extends CliKernelOptions {
  /** Config flags (--provider, --model, --set...). */
  flags?: RunFlags;
  /** HOST:PORT; default [gateway] bind. */
  bind?: string;
  /** A runner guest's policy for its user (the kernel applies it over the configuration). */
  policy?: GuestPolicy;
  /** Where `bind` came from, for error messages (default "--bind"). */
  bindSource?: string;
  /** The web dashboard's built files, served at / (`oxydra gateway`); unset serves none. */
  webRoot?: string;
  /**
   * Answer the enabled chat channels in this process too ([gateway] channels): `oxydra gateway`
   * sets it; a runner's guest does not.
   */
  channels?: boolean;
  log: GatewayLogger;
  /**
   * Called the moment the server accepts connections, before this gateway's record names its
   * address (what `oxydra status` reads): `oxydra gateway`'s "listening on" line, so that no one
   * who finds the gateway by its port or its record can see it before that line is written.
   */
  listening?: (started: Pick<WorkspaceGateway, 'gateway' | 'kernel' | 'token' | 'channels'>) => void;
}

export interface WorkspaceGateway {
  gateway: Gateway;
  kernel: Kernel;
  /** Where the token came from (the token itself is not to be printed). */
  token: Omit<ResolvedToken, 'token'>;
  /** The secret values the kernel scrubs (keys, the token...): the log scrubs them too. */
  secrets: readonly string[];
  /** The chat channels this process answers (`channels` set, [gateway] channels, one enabled). */
  channels: RunningChannels | undefined;
  /**
   * Stops the gateway (cancelling running turns) and its channels (their running answers get a
   * few seconds to finish), and closes the workspace's memory.
   */
  close(): Promise<void>;
}

/** The [gateway] limits as the gateway takes them. */
function gatewayLimits(config: AgentConfig['gateway']): GatewayLimits {
  return {
    maxSessionsPerUser: config.max_sessions_per_user,
    maxConcurrentTurnsPerUser: config.max_concurrent_turns_per_user,
    sessionIdleTtlMs: config.session_idle_ttl_hours * 3600 * 1000,
    maxFrameBytes: config.max_frame_bytes,
    rateLimitPerSec: config.rate_limit_per_sec,
    rateLimitBurst: config.rate_limit_burst,
    maxRequestsPerToken: config.max_requests_per_token,
    sseKeepAliveMs: config.sse_keepalive_secs * 1000,
    // Not a setting: a client needing more than this to send one request is not one to wait for.
    requestTimeoutMs: DEFAULT_LIMITS.requestTimeoutMs,
    answerStallMs: DEFAULT_LIMITS.answerStallMs,
  };
}

export async function startWorkspaceGateway(options: WorkspaceGatewayOptions): Promise<WorkspaceGateway> {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  // The configuration first, for the gateway's own settings: the token must be known before
  // the agents are set up, so that their tools and transcripts scrub it like a provider key.
  const { config, trust } = await loadRunConfigAndTrust(flags, options);
  if (!config.memory.enabled) {
    throw new ConfigError(
      'the gateway keeps its sessions in the memory database, and [memory] enabled = false',
      { keyPath: 'memory.enabled' },
      { hint: 'set [memory] enabled = true (or remove the line) to run the gateway' },
    );
  }
  const bind = parseBind(
    options.bind ?? config.gateway.bind,
    options.bind !== undefined ? (options.bindSource ?? '--bind') : 'gateway.bind',
  );
  const { token, ...tokenSource } = await resolveGatewayToken({
    env,
    ...(config.gateway.auth_token_env ? { authTokenEnv: config.gateway.auth_token_env } : {}),
  });
  // Off this machine, only a token someone chose and handed out makes sense (a generated
  // file is for local clients), so a wide bind without one is a mistake, not a default.
  if (!isLoopbackHost(bind.host) && tokenSource.source !== 'env') {
    throw new UsageError(
      `refusing to listen on ${bind.host}, a non-loopback address, without a configured token`,
      {
        hint: `set ${GATEWAY_TOKEN_ENV} (or the variable named by [gateway] auth_token_env) to a long random token, or bind to 127.0.0.1`,
      },
    );
  }
  // This daemon opens the kernel: the owner's grant comes with it, its to give to the hosts that
  // serve every user (the hub, the channels); the kernel has no call that mints another.
  const {
    kernel,
    owner,
    shared: sharedStore,
  } = await openKernelWithStores(
    {
      workspace: options.workspace,
      config,
      host: options.host ?? 'gateway',
      ...(options.env ? { env: options.env } : {}),
      secrets: [...(options.secrets ?? []), token],
      ...(options.policy ? { policy: options.policy } : {}),
    },
    { ownerGrant: true },
  );
  // Several gateways may serve one workspace, but none starts without saying so.
  let lease: GatewayRegistration | undefined;
  let channels: RunningChannels | undefined;
  try {
    lease = registerGateway(options.workspace);
    // Configuration mistakes in the top-level agent stop the daemon before it listens.
    kernel.describe(spawnSelection(flags));
    // The chat channels answer through this kernel (one composition root), before the server
    // listens so that /readyz and the "listening" line include them.
    if (options.channels)
      channels = await startGatewayChannels(kernel, owner, (line) => options.log('warn', line));
    const serving = channels?.serving;
    // PostgreSQL: this process is one of the deployment's gateways (docs/postgres.md).
    const cluster = sharedStore && (await clusterMember(sharedStore));
    let gateway: Gateway;
    try {
      gateway = await startGateway({
        ...(cluster ? { cluster } : {}),
        host: bind.host,
        port: bind.port,
        token,
        kernel,
        owner,
        limits: gatewayLimits(config.gateway),
        log: options.log,
        ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}),
        // What the workspace holds back, for the dashboard; a decision there goes to the
        // trust.json of the HOME this configuration was loaded with.
        trust: { report: trust, env },
        // GET /api/v1/channels reads what `oxydra channels run` records; the channels package is
        // loaded on the first request, so a gateway nobody asks never loads it.
        channels: async () =>
          (await import('@oxydra/channels')).channelReports({ config, workspace: options.workspace, env }),
        ...(serving ? { channelServing: () => serving } : {}),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
        throw new ConfigError(
          `cannot listen on ${bind.host}:${bind.port}: ${LISTEN_PROBLEMS[code]} (${code})`,
          { keyPath: 'gateway.bind' },
          {
            hint: `${code === 'EADDRINUSE' ? "is a gateway already running there? `oxydra status` lists this workspace's; else " : ''}choose another address with --bind HOST:PORT or [gateway] bind`,
          },
        );
      }
      throw error;
    }
    options.listening?.({ gateway, kernel, token: tokenSource, channels });
    const registration = lease;
    registration.listening(gateway.url);
    const shared = sharedWorkspaceWarning(registration.others);
    if (shared) options.log('warn', shared);
    return {
      gateway,
      kernel,
      token: tokenSource,
      secrets: knownSecrets(config, env, [...(options.secrets ?? []), token]),
      channels,
      close: async () => {
        try {
          // Side by side: the channels' grace for answers being written, the gateway's turns cancelled.
          const closed = await Promise.allSettled([gateway.close(), channels?.close()]);
          for (const result of closed) if (result.status === 'rejected') throw result.reason;
        } finally {
          await kernel.close();
          registration.release();
        }
      },
    };
  } catch (error) {
    await channels?.close(0);
    await kernel.close();
    lease?.release();
    throw error;
  }
}

/**
 * The chat channels `oxydra gateway` answers beside its server ([gateway] channels, default on):
 * the hosts `oxydra channels run` runs (@oxydra/channels' runChannels), over the gateway's own
 * kernel. The channels package, and each platform's library, is imported only when a channel is
 * enabled, so a gateway without channels loads none of them. A channel another process answers,
 * or whose platform refuses at start, is left out with a line in the log; a configuration
 * mistake (a secret's variable unset) stops the gateway like any other.
 */
async function startGatewayChannels(
  kernel: Kernel,
  owner: OwnerGrant,
  log: (line: string) => void,
): Promise<RunningChannels | undefined> {
  if (!kernel.config.gateway.channels || !anyChannelEnabled(kernel.config)) return undefined;
  const { runChannels } = await import('@oxydra/channels');
  return runChannels({ kernel, owner, log, role: 'oxydra gateway', partial: true });
}

/** --provider / --model / --base-url, for the check of the top-level agent at start. */
function spawnSelection(flags: RunFlags) {
  const selection = {
    ...(flags.provider !== undefined ? { provider: flags.provider } : {}),
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags.baseUrl !== undefined ? { baseURL: flags.baseUrl } : {}),
  };
  return Object.keys(selection).length > 0 ? { selection } : {};
}

/** This process as a gateway member of the deployment on a shared store. */
async function clusterMember(shared: SharedStore): Promise<GatewayClusterOptions> {
  const self = processInfo('gateway');
  return { store: shared.cluster, bus: await shared.openBus(self.id), process: self };
}
