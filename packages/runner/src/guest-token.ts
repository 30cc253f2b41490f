/**
 * A container or micro-VM guest's own gateway token: random per start, kept by the runner in
 * `ipc/gateway-token` (0600, a folder the guest never sees), given to the guest with its other
 * secrets. Not the host's gateway token: a guest runs a model's commands, and the token it holds
 * must open that one guest's gateway, not the host's `oxydra gateway` or another user's guest.
 * `runner tui` (and any local client of the guest) reads it from the file.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@oxydra/config';
import type { WorkspacePaths } from './workspace.js';

/** A fresh token for the guest about to start, written before the guest gets it. */
export async function issueGuestGatewayToken(paths: Pick<WorkspacePaths, 'gatewayToken'>): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(paths.gatewayToken, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The running guest's token, or undefined when its tier shares the host's (the process tier). */
export async function readGuestGatewayToken(
  paths: Pick<WorkspacePaths, 'gatewayToken'>,
): Promise<string | undefined> {
  try {
    return (await readFile(paths.gatewayToken, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
