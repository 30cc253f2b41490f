/**
 * `@oxydra/tools/workspace-files`: the workspace file rules the file tools follow (no link
 * followed, regular files only, never outside the workspace nor into `.oxydra/`), for hosts that
 * put files in the workspace or take them from it on the agent's behalf (the chat channels'
 * attachments, saved as the browser tools save a page's downloads). Apart from the package's index so such a host loads only these.
 */
export { AnchoredDir, CREATE_FLAGS, openRegularFile, readCapped } from '../fs/anchored.js';
export { type NewFile, safeFileName, saveNewFile } from '../fs/save-new.js';
export { type PathPolicy, resolveWorkspacePath } from '../paths.js';
export { resolveVaultPath, vaultDenyPolicy } from '../vault/config.js';
