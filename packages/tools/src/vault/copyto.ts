/** vault_copyto: a vault file copied into the workspace, its content never shown to the model. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { MAX_VAULT_COPY_BYTES, VAULT_PREFIX, vaultDenyPolicy } from './config.js';

export interface VaultCopyOptions {
  /** Absolute path of the vault folder (see resolveVaultPath). */
  path: string;
  /** Largest file copied. Default 10 MiB. */
  maxBytes?: number;
}

export function vaultCopyToTool(options: VaultCopyOptions): DefinedTool {
  const maxBytes = options.maxBytes ?? MAX_VAULT_COPY_BYTES;
  const policy = vaultDenyPolicy(options.path);
  return defineTool({
    name: 'vault_copyto',
    description:
      `Copy one file of up to ${maxBytes} bytes from the vault (a read-only folder of documents, ` +
      `${VAULT_PREFIX}<file>) into the workspace, replacing any file there, for the file tools to ` +
      'use. The vault is reachable no other way; the content is not shown.',
    parameters: z.object({
      source_path: z.string().min(1).describe(`${VAULT_PREFIX}<path>, or relative to the vault`),
      destination_path: z.string().min(1),
    }),
    safety: 'side_effecting',
    summarize: ({ source_path, destination_path }) => `vault_copyto ${source_path} -> ${destination_path}`,
    async execute({ source_path, destination_path }, context) {
      const operationId = randomUUID();
      // The steps (and the atomic write under them) load at the first copy, not with the tool.
      const { readVaultFile, writeWorkspaceFile } = await import('./steps.js');
      // Each step is handed only its own side: the read step never receives the workspace.
      const file = await readVaultFile(options.path, source_path, maxBytes);
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
    },
  });
}
