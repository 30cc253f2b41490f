/**
 * The two steps of vault_copyto, kept apart so neither sees both sides (the original's
 * VaultReadStep / VaultWriteStep capability profiles): the read step gets only the vault root,
 * the write step only the workspace and the bytes. An operation id links them in logs.
 */
import { describeFsError, openRegularFile, readCapped } from '../fs/anchored.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { type PathPolicy, resolveWorkspacePath, WorkspacePathError } from '../paths.js';
import { MAX_VAULT_COPY_BYTES, VAULT_PREFIX } from './config.js';

/** Copies are held in memory between the steps; larger files are refused, not streamed. */

export interface VaultFile {
  /** `/vault/<relative>`, for messages. */
  shown: string;
  bytes: Buffer;
}

/** `/vault/a/b` or `a/b` → `a/b`; any other absolute path is refused rather than guessed at. */
function vaultRelative(sourcePath: string): string {
  const trimmed = sourcePath.trim();
  if (trimmed === '/vault' || trimmed === '/vault/') return '.';
  if (trimmed.startsWith(VAULT_PREFIX)) return trimmed.slice(VAULT_PREFIX.length);
  if (trimmed.startsWith('/')) {
    throw new WorkspacePathError(
      `source_path must be ${VAULT_PREFIX}<file> or relative to the vault: ${sourcePath}`,
    );
  }
  return trimmed;
}

const escapesVault = (sourcePath: string) =>
  new WorkspacePathError(`source_path escapes the vault: ${sourcePath}`);

/** Step 1: the vault file's bytes. The vault root is the only folder it can reach. */
export async function readVaultFile(
  vaultRoot: string,
  sourcePath: string,
  maxBytes = MAX_VAULT_COPY_BYTES,
): Promise<VaultFile> {
  const relative = vaultRelative(sourcePath);
  // The workspace policy with the vault as its root: `..`, outside absolute paths and links
  // leading out of the vault are refused the same way. Its messages say "workspace", so the
  // refusal is restated in the vault's terms.
  const target = await resolveWorkspacePath(vaultRoot, relative).catch((error: unknown) => {
    if (error instanceof WorkspacePathError) throw escapesVault(sourcePath);
    throw error;
  });
  const shown = `${VAULT_PREFIX}${target.relative === '.' ? '' : target.relative}`;
  if (target.relative === '.') throw new Error('source_path names the vault itself, not a file');
  try {
    // No-follow, non-blocking, fstat'ed and confirmed inside the vault (see fs/anchored.ts).
    const file = await openRegularFile(
      { ...target, relative: shown },
      `${shown} is a folder; vault_copyto copies one file`,
    );
    try {
      if (file.info.size > maxBytes) throw tooLarge(shown, file.info.size, maxBytes);
      // Read at most one byte past the cap: a file growing after the fstat is still caught.
      const bytes = await readCapped(file.read, file.info.size, maxBytes, () =>
        tooLarge(shown, maxBytes + 1, maxBytes),
      );
      return { shown, bytes };
    } finally {
      file.close();
    }
  } catch (error) {
    // The vault moved under the read (a link swapped in): said in the vault's terms.
    if (error instanceof WorkspacePathError) throw escapesVault(sourcePath);
    throw describeFsError(error, shown);
  }
}

const tooLarge = (shown: string, size: number, maxBytes: number) =>
  new Error(
    `${shown} is ${size > maxBytes ? `over ${maxBytes}` : size} bytes; vault_copyto copies files up to ${maxBytes} bytes`,
  );

export interface WorkspaceCopy {
  /** Relative to the workspace root, for messages. */
  relative: string;
  bytes: number;
  created: boolean;
}

/** Step 2: the bytes into the workspace, under the workspace policy (the vault denied in it). */
export async function writeWorkspaceFile(
  workspace: string,
  destinationPath: string,
  bytes: Uint8Array,
  policy: PathPolicy = {},
  signal?: AbortSignal,
): Promise<WorkspaceCopy> {
  const target = await resolveWorkspacePath(workspace, destinationPath, policy);
  if (target.relative === '.') throw new Error('destination_path names the workspace root, not a file');
  try {
    const written = await atomicWrite(target, bytes, signal);
    return { relative: target.relative, bytes: written.bytes, created: written.created };
  } catch (error) {
    throw describeFsError(error, target.relative);
  }
}
