/**
 * `oxydra dashboard`: the running gateway's dashboard, signed in, without the token in a URL.
 * It asks the gateway (as the local client it is, with the token the TUI uses) for a one-time
 * login code and prints `<gateway>/#code=<code>`, valid once and for a minute; with a desktop
 * (DISPLAY or WAYLAND_DISPLAY, or macOS) it also opens it in the browser, unless --print.
 */
import { spawn } from 'node:child_process';
import { findWorkspaceRoot } from '@oxydra/config';
import { requireGatewayToken } from '@oxydra/config/admin';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { gatewayAddress, httpOrigin } from '../run/gateway-address.js';
import { localGatewayOrigin, runningGateways } from '../run/gateway-registry.js';

interface DashboardOptions {
  print?: boolean;
  /** The gateway's address; default: the one running on this workspace. */
  gateway?: string;
}

function gatewayUrl(options: DashboardOptions): string {
  if (options.gateway !== undefined) return httpOrigin(gatewayAddress(options.gateway));
  const workspace = findWorkspaceRoot();
  const recorded = runningGateways(workspace).filter((record) => record.url !== undefined);
  if (recorded.length === 0)
    throw new UsageError(`no gateway is running for ${workspace}`, {
      hint: 'start one with `oxydra gateway`, or name one with --gateway URL',
    });
  // The token goes to this address: only one on this machine (the record is a file in the folder).
  const origin = recorded.map((record) => localGatewayOrigin(record.url!)).find((url) => url !== undefined);
  if (origin === undefined)
    throw new UsageError(
      `the gateway record in ${workspace}/.oxydra/gateways names ${recorded[0]!.url}, not an address on this machine: the token is not sent there`,
      { hint: 'name the gateway yourself with --gateway URL' },
    );
  return origin;
}

function openInBrowser(url: string): boolean {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
        ? 'xdg-open'
        : undefined;
  if (opener === undefined) return false;
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export async function runDashboard(options: DashboardOptions): Promise<number> {
  const base = gatewayUrl(options);
  const token = await requireGatewayToken(process.env);
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1/login-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.value}` },
      signal: AbortSignal.timeout(5000),
      redirect: 'error',
    });
  } catch (error) {
    throw new UsageError(`the gateway at ${base} does not answer (${(error as Error).message})`, {
      hint: 'is it running? `oxydra status` tells',
    });
  }
  if (response.status === 401)
    throw new UsageError(`the gateway at ${base} refused the token from ${token.source}`, {
      hint: 'use the token that gateway was started with (OXYDRA_GATEWAY_TOKEN or its token file)',
    });
  if (!response.ok)
    throw new UsageError(`the gateway at ${base} answered HTTP ${response.status} for a login code`);
  const { path } = (await response.json()) as { path?: unknown };
  // Opened in the browser after the origin: only the gateway's own page with its code, so an
  // answer cannot turn the link into another host's (`@host/...`) or a script.
  if (typeof path !== 'string' || !/^\/#code=[\w-]{1,200}$/.test(path))
    throw new UsageError(`the gateway at ${base} answered a login code this version does not know`, {
      hint: 'is it an oxydra gateway of the same version? `oxydra status` tells',
    });
  const url = `${base}${path}`;
  const opened = !options.print && openInBrowser(url);
  process.stdout.write(`${url}\n`);
  process.stderr.write(
    `${opened ? 'opened in your browser; ' : ''}the link signs in once, within a minute (the token itself is never in a URL)\n`,
  );
  return EXIT_OK;
}
