/** vault_copyto: a vault file copied into the workspace, its content never shown to the model. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { VAULT_PREFIX, vaultDenyPolicy } from './config.js';
import { MAX_VAULT_COPY_BYTES, readVaultFile, writeWorkspaceFile } from './steps.js';

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
      `Copy one file from the vault (a read-only folder of documents, named ${VAULT_PREFIX}<file>) ` +
      'into the workspace, where the other file tools can then use it. The vault cannot be read, ' +
      'listed or searched any other way, and the content is not shown in the result. Files up to ' +
      `${maxBytes} bytes; an existing destination is replaced.`,
    parameters: z.object({
      source_path: z
        .string()
        .min(1)
        .describe(`The vault file, as ${VAULT_PREFIX}<path> or relative to the vault`),
      destination_path: z.string().min(1).describe('Where to write it, relative to the workspace root'),
    }),
    safety: 'side_effecting',
    summarize: ({ source_path, destination_path }) => `vault_copyto ${source_path} -> ${destination_path}`,
    async execute({ source_path, destination_path }, context) {
      const operationId = randomUUID();
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
