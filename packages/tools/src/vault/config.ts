/** Where the vault is, and the path policy that keeps every other file tool out of it. */
import { isAbsolute, resolve } from 'node:path';
import type { PathPolicy } from '../paths.js';

/** How the model names vault files: `/vault/<path inside the vault>`. */
export const VAULT_PREFIX = '/vault/';

export const VAULT_DENIED_REASON = 'the vault is readable only through vault_copyto';

/** Largest file vault_copyto copies unless configured otherwise: 10 MiB. */
export const MAX_VAULT_COPY_BYTES = 10 * 1024 * 1024;

/** The config's `[tools] vault_path` as an absolute path: relative ones are relative to the workspace. */
export function resolveVaultPath(vaultPath: string, workspace: string): string {
  return isAbsolute(vaultPath) ? resolve(vaultPath) : resolve(workspace, vaultPath);
}

/**
 * The policy for the workspace tools when a vault is configured. Needed only when the vault lies
 * inside the workspace (outside, the workspace policy already refuses it), but always applied:
 * it costs one realpath, and a link from the workspace to an outside vault then gets the message
 * that names vault_copyto.
 */
export function vaultDenyPolicy(vaultRoot: string): PathPolicy {
  return { deny: [{ path: vaultRoot, reason: VAULT_DENIED_REASON }] };
}
