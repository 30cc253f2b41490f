/**
 * `oxydra status`: the gateways running on this workspace (from `.oxydra/gateways/`, see
 * run/gateway-registry.ts), each asked its /readyz, so one line says whether it serves and why
 * not. Exit 0 when at least one gateway is ready, 1 when none is (none running, or none ready),
 * as a service check expects.
 */
import { findWorkspaceRoot } from '@oxydra/config';
import { visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { type GatewayRecord, localGatewayOrigin, runningGateways } from '../run/gateway-registry.js';

const PROBE_TIMEOUT_MS = 3000;

interface GatewayStatus {
  pid: number;
  url: string | null;
  ready: boolean;
  /** /readyz's answer: why it is not ready, or what it reports (sandbox, audit). */
  detail: string;
}

async function probe(record: GatewayRecord): Promise<GatewayStatus> {
  const base = { pid: record.pid, url: record.url ?? null };
  // Only an address on this machine (loopback, or the gateway's own): a record cannot send us elsewhere.
  const origin = record.url === undefined ? undefined : localGatewayOrigin(record.url);
  if (origin === undefined)
    return { ...base, ready: false, detail: 'starting (no address yet), or listening off this machine' };
  try {
    const response = await fetch(`${origin}/readyz`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      redirect: 'error',
    });
    // Read whole, unlike a model server's answer (readJsonBounded): the address is on this
    // machine and the record one our own gateway wrote (ours, 0600, its pid and start time just
    // checked alive), and the read ends with PROBE_TIMEOUT_MS.
    const body = (await response.json().catch(() => ({}))) as {
      status?: string;
      reason?: string;
      sandbox?: { shell?: string };
    };
    if (response.ok && body.status === 'ready')
      return {
        ...base,
        ready: true,
        detail: `ready${body.sandbox?.shell ? `, commands ${body.sandbox.shell}` : ''}`,
      };
    return { ...base, ready: false, detail: `not ready: ${body.reason ?? `HTTP ${response.status}`}` };
  } catch (error) {
    return { ...base, ready: false, detail: `does not answer (${(error as Error).message})` };
  }
}

export async function runStatus(options: { json?: boolean }): Promise<number> {
  const workspace = findWorkspaceRoot();
  const statuses = await Promise.all(runningGateways(workspace).map(probe));
  const ready = statuses.some((status) => status.ready);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ workspace, gateways: statuses }, null, 2)}\n`);
  } else if (statuses.length === 0) {
    process.stdout.write(`no gateway is running for ${workspace} (start one: oxydra gateway)\n`);
  } else {
    // The detail is the gateway's answer (its reason, an error's text): written out.
    for (const status of statuses)
      process.stdout.write(
        `gateway pid ${status.pid}  ${visibleLine(`${status.url ?? '-'}  ${status.detail}`)}\n`,
      );
  }
  return ready ? EXIT_OK : 1;
}
