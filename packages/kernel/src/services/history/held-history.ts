/**
 * The workspace's history, held: its module (and the checkpoint store behind it) loads at the
 * first run that changes a file or the first command that reads the history, never with a
 * kernel whose runs only read and talk. One opener for a kernel (assemble/base.ts) and for the
 * admin commands (open-services.ts).
 */
import type { AgentConfig } from '@oxydra/types';
import type { AuditRecorder, WorkspaceHistory } from './workspace-history.js';

/** Opens the history at the first call (the same one after); undefined with [checkpoints] off. */
export function heldHistory(
  workspace: string,
  config: AgentConfig,
  audit: AuditRecorder,
): (() => Promise<WorkspaceHistory>) | undefined {
  if (!config.checkpoints.enabled) return undefined;
  let history: Promise<WorkspaceHistory> | undefined;
  return () =>
    (history ??= import('./workspace-history.js').then(
      ({ WorkspaceHistory }) =>
        new WorkspaceHistory(workspace, {
          maxFileBytes: config.checkpoints.max_file_bytes,
          maxFiles: config.checkpoints.max_files,
          audit,
        }),
    ));
}
