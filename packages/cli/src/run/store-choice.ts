/**
 * The store a CLI host keeps its data in ([store], --store), decided and opened in this one
 * place: every command that opens a kernel (run, chat, gateway, mcp, schedules), `sessions`,
 * `store` and `doctor` go through it. libsql, the default, is the kernel's own embedded files:
 * nothing is opened here, and neither `pg` nor @oxydra/store-postgres is loaded. postgres: the
 * stores are opened (migrated first) from that package, imported only then, handed to the
 * kernel as KernelOptions.stores, and their pool is closed when the kernel closes.
 */
import type { Kernel, KernelOptions, KernelStores } from '@oxydra/kernel';
import type { OwnedKernel, OwnerGrant } from '@oxydra/kernel/admin';
import { openKernel } from '@oxydra/kernel/open';
import type { SessionStore } from '@oxydra/memory';
import type { PostgresStoreOptions, PostgresStores } from '@oxydra/store-postgres';
import {
  type AgentConfig,
  type ClusterProcess,
  type ClusterStore,
  ConfigError,
  type EventBus,
  isOxydraError,
} from '@oxydra/types';

export type StoreChoice =
  | { backend: 'libsql' }
  | {
      backend: 'postgres';
      /** The URL, password included: for the driver only, never shown. */
      url: string;
      /** Where the URL came from: `[store] url` (or --store) or the variable url_env names. */
      urlFrom: string;
      schema: string;
      maxConnections: number;
      /** `[store] synchronous_commit`: off lets every commit skip the WAL flush. */
      synchronousCommit: 'on' | 'off';
    };

export type PostgresChoice = Extract<StoreChoice, { backend: 'postgres' }>;

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/** What [store] (with --store applied) says, with the URL found; a ConfigError when it cannot be. */
export function storeChoice(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): StoreChoice {
  const store = config.store;
  if (store.backend === 'libsql') return { backend: 'libsql' };
  const fromEnv = env[store.url_env]?.trim();
  const url = store.url ?? (fromEnv === '' ? undefined : fromEnv);
  if (url === undefined) {
    throw new ConfigError(
      `[store] backend = "postgres" needs the server's URL, and ${store.url_env} is not set`,
      { keyPath: 'store.url_env' },
      {
        hint: `export ${store.url_env}=postgres://user:password@host:5432/database (or name another variable with [store] url_env)`,
      },
    );
  }
  const urlFrom = store.url !== undefined ? '[store] url' : store.url_env;
  if (!POSTGRES_URL.test(url)) {
    // Never the value: it may be anything, a password included.
    throw new ConfigError(
      `${store.url_env} does not hold a postgres:// URL`,
      { keyPath: 'store.url_env' },
      { hint: `set it to postgres://user:password@host:5432/database` },
    );
  }
  if (!URL.canParse(url)) {
    // The driver's own error would be a bare "Invalid URL", taken for a bug in Oxydra (exit 1).
    throw new ConfigError(
      `${urlFrom} is not a valid URL`,
      { keyPath: store.url !== undefined ? 'store.url' : 'store.url_env' },
      {
        hint: 'write it as postgres://user:password@host:5432/database, the port 1-65535 and any @ : / ? # % in the user or password percent-encoded (%40 %3A %2F %3F %23 %25)',
      },
    );
  }
  return {
    backend: 'postgres',
    url,
    urlFrom,
    schema: store.schema,
    maxConnections: store.max_connections,
    synchronousCommit: store.synchronous_commit,
  };
}

/**
 * Opens the PostgreSQL stores of a choice (the package imported now). A server that does not
 * answer, a refused login, a schema too new or behind: a ConfigError (exit 2) naming the server
 * as user@host:port/db, never with its password.
 */
export async function openPostgres(
  choice: PostgresChoice,
  options: Pick<PostgresStoreOptions, 'migrate'> = {},
): Promise<PostgresStores> {
  const { openPostgresStores } = await import('@oxydra/store-postgres');
  try {
    return await openPostgresStores({
      url: choice.url,
      schema: choice.schema,
      maxConnections: choice.maxConnections,
      synchronousCommit: choice.synchronousCommit,
      ...options,
    });
  } catch (error) {
    throw asConfigError(error);
  }
}

/** The store package's refusals (code config_error) as the CLI's configuration errors. */
export function asConfigError(error: unknown): unknown {
  if (error instanceof ConfigError || !isOxydraError(error) || error.code !== 'config_error') return error;
  return new ConfigError(
    error.message,
    { keyPath: 'store' },
    error.hint !== undefined ? { hint: error.hint } : undefined,
  );
}

/**
 * The stores `openServices` (the admin commands: token, approvals, schedule, audit, budget,
 * costs) takes on the configured store, and how to close them; none with libsql. The same
 * control group and sessions the kernel's hosts use, so `oxydra token add` makes a token the
 * gateways on that database accept.
 */
export async function servicesStores(
  config: AgentConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stores?: Pick<KernelStores, 'control' | 'sessions'>; close(): Promise<void> }> {
  const choice = storeChoice(config, env);
  if (choice.backend === 'libsql') return { close: async () => {} };
  const stores = await openPostgres(choice);
  return { stores: { control: stores.control, sessions: stores.sessions }, close: () => stores.close() };
}

/**
 * Opens the kernel on the configured store: `options.stores` gets the PostgreSQL ones when
 * [store] backend = "postgres"; with libsql the kernel opens its own files as it always has.
 */
export async function openKernelOnStore(options: Omit<KernelOptions, 'stores'>): Promise<Kernel> {
  return (await openKernelWithStores(options)).kernel;
}

/** What a gateway process needs to be one of several on the store: PostgreSQL only. */
export interface SharedStore {
  cluster: ClusterStore;
  /** The sessions on the same store: a reaped gateway turn's record is fixed there. */
  sessions: SessionStore;
  /** The event bus to the other processes, closed with the kernel. */
  openBus(processId: string): Promise<EventBus>;
}

/**
 * The kernel on the configured store, and (PostgreSQL) what several gateway processes on it
 * share: `shared` is undefined with libsql, whose file one process serves. With
 * `{ ownerGrant: true }`, the owner's grant too (openKernel's), for the caller alone.
 */
export function openKernelWithStores(
  options: Omit<KernelOptions, 'stores'>,
  open: { ownerGrant: true },
): Promise<OwnedKernel & { shared?: SharedStore }>;
export function openKernelWithStores(
  options: Omit<KernelOptions, 'stores'>,
): Promise<{ kernel: Kernel; shared?: SharedStore }>;
export async function openKernelWithStores(
  options: Omit<KernelOptions, 'stores'>,
  open: { ownerGrant?: true } = {},
): Promise<{ kernel: Kernel; owner?: OwnerGrant; shared?: SharedStore }> {
  const opening = (kernelOptions: KernelOptions) =>
    open.ownerGrant
      ? openKernel(kernelOptions, { ownerGrant: true })
      : openKernel(kernelOptions).then((kernel) => ({ kernel }));
  const choice = storeChoice(options.config, options.env ?? process.env);
  if (choice.backend === 'libsql') return opening(options);
  const stores = await openPostgres(choice);
  let opened: { kernel: Kernel; owner?: OwnerGrant };
  try {
    // What the kernel takes of them is the store package's one selection (tests use it too).
    const { kernelStores } = await import('@oxydra/store-postgres');
    opened = await opening({ ...options, stores: kernelStores(stores) });
  } catch (error) {
    await stores.close().catch(() => {});
    throw error;
  }
  const { kernel } = opened;
  const buses: EventBus[] = [];
  const closeKernel = kernel.close.bind(kernel);
  let closing: Promise<void> | undefined;
  // The pool outlives nothing that uses it: it ends after the kernel's own close, once.
  kernel.close = () => {
    closing ??= closeKernel()
      .finally(() => Promise.allSettled(buses.map((bus) => bus.close())))
      .finally(() => stores.close());
    return closing;
  };
  return {
    ...opened,
    shared: {
      cluster: stores.cluster,
      sessions: stores.sessions,
      async openBus(processId) {
        const bus = await stores.openBus(processId).catch((error: unknown) => {
          throw asConfigError(error);
        });
        buses.push(bus);
        return bus;
      },
    },
  };
}

/** Where the configured store stands, for `oxydra store status` and `oxydra doctor`. */
export type StoreReport =
  | { backend: 'libsql'; location: string }
  | {
      backend: 'postgres';
      /** `user@host:port/db`: never the password. */
      target: string;
      urlFrom: string;
      schema: string;
      /** The newest migration this Oxydra knows. */
      latest: number;
      reachable: boolean;
      /** Unreachable: why, in one line (no password). */
      reason?: string;
      /** Reachable: the schema's version (0: never migrated). */
      version?: number;
      /** Asked for, and the schema current: the gateway processes that beat within `liveWithinMs`. */
      processes?: ClusterProcess[];
    };

/**
 * Looks at the store (connecting once, for PostgreSQL) without changing it; with `liveWithinMs`,
 * the gateway processes live on it too, on the same connection (`oxydra doctor`).
 */
export async function storeReport(
  config: AgentConfig,
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
  ask: { liveWithinMs?: number } = {},
): Promise<StoreReport> {
  const choice = storeChoice(config, env);
  if (choice.backend === 'libsql') {
    const { memoryLocation } = await import('@oxydra/kernel/workspace');
    const location = memoryLocation(config, workspace);
    return { backend: 'libsql', location: 'path' in location ? location.path : location.url };
  }
  const { describeTarget, LATEST_VERSION, postgresSchemaStatus } = await import('@oxydra/store-postgres');
  const known = {
    backend: 'postgres' as const,
    target: describeTarget(choice.url),
    urlFrom: choice.urlFrom,
    schema: choice.schema,
    latest: LATEST_VERSION,
  };
  try {
    const { version, processes } = await postgresSchemaStatus(
      { url: choice.url, schema: choice.schema },
      ask,
    );
    return { ...known, reachable: true, version, ...(processes ? { processes } : {}) };
  } catch (error) {
    const reason = (asConfigError(error) as Error).message;
    return { ...known, reachable: false, reason };
  }
}

/** A report's migration state in words: "7 of 7 (current)". */
export function migrationState(report: Extract<StoreReport, { backend: 'postgres' }>): string {
  const { version = 0, latest } = report;
  if (version === latest) return `${version} of ${latest} applied (current)`;
  if (version > latest) return `at ${version}, newer than this Oxydra knows (${latest}): upgrade Oxydra`;
  return `${version} of ${latest} applied: \`oxydra store migrate\` (or the next run) applies the rest`;
}
