/**
 * Where a workspace keeps the state that must have come from this user (state-origin.ts), in one
 * list: what `oxydra doctor` reports when it did not, and what `oxydra trust --adopt-state` adopts.
 */
import { join } from 'node:path';
import { checkpointGitDir } from '../services/checkpoints/git.js';
import { kernelDbPath } from './kernel-db.js';

/** The channel host's database (packages/channels): senders, messages, outbox. */
export function channelDbPath(workspace: string): string {
  return join(workspace, '.oxydra', 'channels.db');
}

/** The workspace's state files and folders; `memoryDb` when memory is local (not a remote URL). */
export function workspaceStatePaths(workspace: string, memoryDb?: string): string[] {
  return [
    kernelDbPath(workspace),
    checkpointGitDir(workspace),
    channelDbPath(workspace),
    ...(memoryDb !== undefined ? [memoryDb] : []),
  ];
}
