/**
 * The user's trust decisions: `~/.config/oxydra/trust.json` (the user layer's folder, hidden
 * from commands and the file tools), one entry per workspace keyed by its real path, holding the
 * owner of its `.oxydra/` and a hash of the keys that needed trust when it was decided. A change
 * to those keys, another owner, or the folder moved elsewhere asks again; nothing in the
 * workspace itself can say it is trusted.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@oxydra/types';
import { writeFileAtomic } from './atomic-write.js';
import { userConfigDirectory } from './locations.js';
import type { HeldKey } from './trust-rules.js';

export type TrustDecision = 'trusted' | 'declined';

export interface TrustEntry {
  decision: TrustDecision;
  /** uid owning the workspace's .oxydra/ when decided. */
  owner: number;
  /** keysHash() of the held keys when decided. */
  keys: string;
  /** ISO time of the decision. */
  at: string;
}

interface TrustFile {
  version: 1;
  workspaces: Record<string, TrustEntry>;
}

export function trustFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDirectory({ env, cwd: '/' }), 'trust.json');
}

/** One hash for the keys that need trust: their paths and values, in a fixed order. */
export function keysHash(held: readonly HeldKey[]): string {
  const pairs = held.map((h) => [h.key, h.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex');
}

/** The identity a decision is keyed by: the workspace's real path and its .oxydra/'s owner. */
export function workspaceIdentity(workspace: string): { path: string; owner: number } {
  const path = realpathSync(workspace);
  let owner = -1;
  try {
    owner = lstatSync(join(path, '.oxydra')).uid;
  } catch {
    // no .oxydra/: nothing of the workspace's own is loaded, so the owner does not matter
  }
  return { path, owner };
}

export function readTrustFile(env: NodeJS.ProcessEnv = process.env): TrustFile {
  const path = trustFilePath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, workspaces: {} };
    throw new ConfigError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      source: path,
    });
  }
  try {
    const parsed = JSON.parse(text) as Partial<TrustFile>;
    if (parsed.version === 1 && parsed.workspaces && typeof parsed.workspaces === 'object') {
      return { version: 1, workspaces: parsed.workspaces };
    }
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(
    `${path}: is not a trust record Oxydra wrote`,
    { source: path },
    { hint: `remove it and trust your workspaces again: rm ${path}` },
  );
}

/** The decision recorded for this workspace, if it still applies to these keys and this owner. */
export function recordedDecision(
  workspace: string,
  held: readonly HeldKey[],
  env: NodeJS.ProcessEnv = process.env,
): TrustDecision | 'changed' | undefined {
  const identity = workspaceIdentity(workspace);
  const entry = readTrustFile(env).workspaces[identity.path];
  if (!entry) return undefined;
  if (entry.owner !== identity.owner || entry.keys !== keysHash(held)) return 'changed';
  return entry.decision;
}

export async function recordDecision(
  workspace: string,
  held: readonly HeldKey[],
  decision: TrustDecision,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const identity = workspaceIdentity(workspace);
  const file = readTrustFile(env);
  file.workspaces[identity.path] = {
    decision,
    owner: identity.owner,
    keys: keysHash(held),
    at: new Date().toISOString(),
  };
  await writeFileAtomic(trustFilePath(env), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

/** Forget the decision for a workspace; false when there was none. */
export async function forgetDecision(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const identity = workspaceIdentity(workspace);
  const file = readTrustFile(env);
  if (!(identity.path in file.workspaces)) return false;
  delete file.workspaces[identity.path];
  await writeFileAtomic(trustFilePath(env), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return true;
}
