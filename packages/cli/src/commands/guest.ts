/**
 * `oxydra guest` (hidden): the runtime guest a runner launches for one user. Reads the bootstrap
 * envelope (a frame on stdin, or the container tier's file), starts a gateway on 127.0.0.1 with
 * the user's folders and capabilities, writes `ws://127.0.0.1:<port>/ws` to
 * `<workspace_root>/ipc/gateway-endpoint`, and runs until SIGTERM/SIGINT, or until stdin closes
 * when the runner asked for that lifeline (so a guest never outlives its runner).
 */
import { rm } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from '@oxydra/config';
import { requireGlobalFetch } from '@oxydra/provider';
import {
  type BootstrapEnvelope,
  forwardingServer,
  readEnvelopeFile,
  readEnvelopeFrame,
  readGuestSecrets,
} from '@oxydra/runner';
import { routeFetchThroughProxy } from '@oxydra/sandbox';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { startGuestGateway } from './guest-gateway.js';

export interface GuestFlags {
  bootstrapStdin?: boolean;
  bootstrapFile?: string;
  exitOnStdinClose?: boolean;
  gatewayBind?: string;
  /** The container tier: secrets come as a frame on stdin, never in the environment. */
  secretsStdin?: boolean;
  /** The container tier (no network): every fetch goes through the runner's egress proxy. */
  egressSocket?: string;
  /** The container tier: the gateway is also served here, the runner forwards a host port to it. */
  gatewaySocket?: string;
}

export const BOOTSTRAP_FILE_ENV = 'OXYDRA_BOOTSTRAP_FILE';

/** A Unix socket whose every connection is piped to the gateway at `endpoint` (ws://host:port/ws). */
async function serveOnSocket(path: string, endpoint: string): Promise<Server> {
  const { hostname, port } = new URL(endpoint);
  const host = hostname.replace(/^\[|\]$/g, '');
  const server = forwardingServer(() => connect(Number(port), host));
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} guest: ${line}\n`);
}

async function readBootstrap(flags: GuestFlags): Promise<BootstrapEnvelope> {
  if (flags.bootstrapStdin) return readEnvelopeFrame(process.stdin);
  const file = flags.bootstrapFile ?? process.env[BOOTSTRAP_FILE_ENV];
  if (file) return readEnvelopeFile(file);
  throw new UsageError(
    'oxydra guest needs its bootstrap envelope: --bootstrap-stdin or --bootstrap-file PATH',
    {
      hint: 'the guest is started by `oxydra runner start`; run that instead',
    },
  );
}

/** Resolves on the first of SIGTERM, SIGINT, or (when asked) the end of stdin. */
function untilStopped(exitOnStdinClose: boolean): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    if (exitOnStdinClose) {
      process.stdin.once('end', () => resolve('the runner closed stdin'));
      process.stdin.once('close', () => resolve('the runner closed stdin'));
      process.stdin.resume();
    }
  });
}

export async function runGuest(flags: GuestFlags): Promise<number> {
  const envelope = await readBootstrap(flags);
  if (flags.secretsStdin) Object.assign(process.env, await readGuestSecrets(process.stdin));
  if (flags.egressSocket !== undefined && !(await routeFetchThroughProxy(flags.egressSocket))) {
    throw new Error("this Node's fetch cannot be sent through the egress proxy");
  }
  // The model calls too: they go out on node:http unless told to use fetch (and so the proxy).
  if (flags.egressSocket !== undefined) requireGlobalFetch();
  const stopped = untilStopped(flags.exitOnStdinClose ?? false);
  log(`user ${envelope.user_id}, tier ${envelope.sandbox_tier}: starting`);
  const endpointFile = join(envelope.workspace_root, 'ipc', 'gateway-endpoint');
  const gateway = await startGuestGateway(envelope, { bind: flags.gatewayBind ?? '127.0.0.1:0', log });
  const socket =
    flags.gatewaySocket === undefined
      ? undefined
      : await serveOnSocket(flags.gatewaySocket, gateway.endpoint);
  try {
    // Written once the gateway (and its socket) listen: the runner waits for this file.
    await writeFileAtomic(endpointFile, `${gateway.endpoint}\n`, { mode: 0o600 });
    log(`gateway listening at ${gateway.endpoint}`);
    log(`stopping: ${await stopped}`);
  } finally {
    await rm(endpointFile, { force: true });
    socket?.close();
    await gateway.close();
  }
  log('stopped');
  return EXIT_OK;
}
