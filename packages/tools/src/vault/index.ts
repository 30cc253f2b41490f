/** The vault: a folder the model can copy files out of (vault_copyto) but never read directly. */
export { vaultCopyToTool } from '../core/catalog.js';
export type { VaultCopyOptions } from '../core/parameters.js';
export {
  MAX_VAULT_COPY_BYTES,
  resolveVaultPath,
  VAULT_DENIED_REASON,
  VAULT_PREFIX,
  vaultDenyPolicy,
} from './config.js';
