/**
 * The gateways serving a workspace. Several may (their schedulers claim each due run, so it
 * fires once), but each keeps its own live sessions, approvals and per-user limits, and a second
 * one used to start without a word. Each running gateway writes `.oxydra/gateways/<pid>.json`
 * (created exclusively, never through a link): its pid, the pid's start time and, once it
 * listens, its URL. A starting gateway reads the others, says which are running, and removes the
 * records of gateways killed outright; the start time tells a reused pid from the gateway that
 * wrote the record.
 */
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
// The light subpath: the package's root loads the gateway server (fastify).
import { isLoopbackHost, isWildcardHost, urlHost } from '@oxydra/gateway/bind';
import { processStartTime, sameProcessAlive } from '@oxydra/sandbox';
import { UsageError, visibleLine } from '@oxydra/types';
import { readSmallFile, WRITTEN_BY_ME } from '@oxydra/types/fs';

export interface GatewayRecord {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  started: number | null;
  /** Where it listens, once it does. */
  url?: string;
}

export interface GatewayRegistration {
  /** The other gateways running on this workspace when this one started. */
  others: GatewayRecord[];
  /** Adds the address, once the gateway listens (for the next one's message). */
  listening(url: string): void;
  /** Removes this gateway's record. */
  release(): void;
}

const MAX_RECORD_BYTES = 4096;
/** Records read at most: more is not a set of gateways anyone runs. */
const MAX_RECORDS = 64;
const RECORD = /^(\d{1,10})\.json$/;

export function gatewaysDir(workspace: string): string {
  return join(workspace, '.oxydra', 'gateways');
}

/**
 * Why the records folder is not one to use: a link (a clone's `.oxydra/gateways` linked to a
 * folder outside got each gateway's record written there, and removed from there at its exit),
 * or not a folder; undefined when it is a real folder or missing.
 */
function unusableDir(dir: string): string | undefined {
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (info === undefined || info.isDirectory()) return undefined;
  return info.isSymbolicLink() ? 'is a symbolic link' : 'is not a folder';
}

/**
 * What a record's url may be: an http(s) origin and nothing else. The record sits in the
 * workspace, so a cloned folder could carry one; its url is printed by `status` and in warnings,
 * so it must not carry text (or escape sequences) of its own.
 */
const ADDRESS = /^https?:\/\/[A-Za-z0-9.:[\]-]{1,100}$/;

/**
 * A record, read without following a link or waiting on a FIFO; undefined if not one. Only one
 * a gateway of this user could have written: owned by this user and private (writeRecord makes
 * it 0600), so a record checked out of a cloned repository (0644) is not taken.
 */
function readRecord(path: string): GatewayRecord | undefined {
  const file = readSmallFile(path, { maxBytes: MAX_RECORD_BYTES, ...WRITTEN_BY_ME });
  if (!file.ok) return undefined;
  try {
    const parsed = JSON.parse(file.bytes.toString('utf8')) as Partial<GatewayRecord>;
    if (!Number.isInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return {
      pid: parsed.pid as number,
      started: typeof parsed.started === 'number' ? parsed.started : null,
      ...(typeof parsed.url === 'string' && ADDRESS.test(parsed.url) ? { url: parsed.url } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether the gateway that wrote `record` is still running. A gateway records its start time
 * wherever this platform tells one, so a record without it that names a live process (pid 1 is
 * always one) was not written by a gateway here.
 */
function alive(record: GatewayRecord): boolean {
  if (record.started === null && processStartTime(record.pid) !== null) return false;
  return sameProcessAlive(record.pid, record.started);
}

/**
 * Where a recorded gateway is reached without its token leaving this machine: the recorded origin
 * when its host is a loopback address or one of this machine's own interface addresses,
 * loopback for a gateway bound to every interface (0.0.0.0, ::); undefined for any other host.
 * `oxydra dashboard` sends the gateway token to this origin, so a record naming another machine
 * (planted, or stale after the network changed) must never be followed.
 */
export function localGatewayOrigin(recorded: string): string | undefined {
  let url: URL;
  try {
    url = new URL(recorded);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? `:${url.port}` : '';
  if (isWildcardHost(host)) return `${url.protocol}//${host === '0.0.0.0' ? '127.0.0.1' : '[::1]'}${port}`;
  if (isLoopbackHost(host) || ownAddress(host)) return `${url.protocol}//${urlHost(host)}${port}`;
  return undefined;
}

/** Whether `host` is an address of one of this machine's network interfaces. */
function ownAddress(host: string): boolean {
  return Object.values(networkInterfaces()).some((addresses) =>
    addresses?.some((address) => address.address === host),
  );
}

function writeRecord(path: string, record: GatewayRecord): void {
  const flags = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW;
  const fd = openSync(path, flags, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The gateways running on the workspace (not this process), from their records; with `sweep`,
 * the records of dead ones are removed.
 */
export function runningGateways(workspace: string, options: { sweep?: boolean } = {}): GatewayRecord[] {
  const dir = gatewaysDir(workspace);
  if (unusableDir(dir) !== undefined) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const running: GatewayRecord[] = [];
  for (const name of names.slice(0, MAX_RECORDS)) {
    const pid = Number(RECORD.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const record = readRecord(join(dir, name));
    // Not one this user's gateway wrote (another user's, a link, planted): left as it is.
    if (record === undefined) continue;
    if (record.pid === pid && alive(record)) running.push(record);
    else if (options.sweep) rmSync(join(dir, name), { force: true });
  }
  return running.sort((a, b) => a.pid - b.pid);
}

/** Records this gateway and returns the others running on the workspace. */
export function registerGateway(workspace: string): GatewayRegistration {
  const dir = gatewaysDir(workspace);
  const problem = unusableDir(dir);
  if (problem !== undefined) {
    throw new UsageError(
      `${visibleLine(dir)} ${problem}: a gateway records itself only in a real folder of the workspace`,
      {
        hint: `remove it (rm ${visibleLine(dir)}); the gateway makes the folder itself`,
      },
    );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const others = runningGateways(workspace, { sweep: true });
  const path = join(dir, `${process.pid}.json`);
  const own: GatewayRecord = { pid: process.pid, started: processStartTime(process.pid) };
  rmSync(path, { force: true }); // a dead gateway's record under this reused pid
  writeRecord(path, own);
  return {
    others,
    listening(url) {
      const temporary = join(dir, `.${process.pid}.tmp`);
      try {
        rmSync(temporary, { force: true });
        writeRecord(temporary, { ...own, url });
        renameSync(temporary, path);
      } catch {
        rmSync(temporary, { force: true });
      }
    },
    release() {
      rmSync(path, { force: true });
    },
  };
}

/** The start-up warning naming the others, or undefined when this is the only one. */
export function sharedWorkspaceWarning(others: readonly GatewayRecord[]): string | undefined {
  if (others.length === 0) return undefined;
  const named = others.map((other) => `pid ${other.pid}${other.url ? ` at ${other.url}` : ''}`).join(', ');
  return `${others.length === 1 ? 'another oxydra gateway serves' : `${others.length} other oxydra gateways serve`} this workspace too (${named}): each due schedule still runs once, but live sessions, pending approvals and per-user turn limits are each gateway's own`;
}
