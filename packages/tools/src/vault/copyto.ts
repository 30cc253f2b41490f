/** vault_copyto's code (its definition is in core/catalog.ts): a read step, then a write step. */
import { randomUUID } from 'node:crypto';
import type { VaultCopyArgs } from '../core/parameters.js';
import type { ToolRun } from '../define.js';
import { vaultDenyPolicy } from './config.js';
import { readVaultFile, writeWorkspaceFile } from './steps.js';

export function vaultCopyTo(vaultRoot: string, maxBytes: number): ToolRun<VaultCopyArgs> {
  const policy = vaultDenyPolicy(vaultRoot);
  return async ({ source_path, destination_path }, context) => {
    const operationId = randomUUID();
    // Each step is handed only its own side: the read step never receives the workspace.
    const file = await readVaultFile(vaultRoot, source_path, maxBytes);
    const copy = await writeWorkspaceFile(
      context.workspace,
      destination_path,
      file.bytes,
      policy,
      context.signal,
    );
    return {
      content: `Copied ${file.shown} (${copy.bytes} bytes) to ${copy.relative}`,
      data: {
        operationId,
        source: file.shown,
        destination: copy.relative,
        bytes: copy.bytes,
        created: copy.created,
      },
    };
  };
}
