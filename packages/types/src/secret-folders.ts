/**
 * The one list of folders that hold secrets: the sandbox hides them from commands, the file
 * tools refuse them, and the config loader names Oxydra's own among them. In the lowest layer
 * because the sandbox (types only), the tools, the config and the kernel all need it.
 * scripts/check-one-home.mjs fails when one of these folder names is written out elsewhere.
 */

/** Other programs' secrets under the home folder: keys, cloud credentials, the keyring. */
export const HOME_SECRET_FOLDERS = ['.ssh', '.aws', '.gnupg'] as const;

/**
 * Oxydra's own folders under the home folder: the user layer of config (keys, the gateway token,
 * the local key) and the cache (compiled code that runs at the next `oxydra`, outside the sandbox).
 */
export const OXYDRA_HOME_FOLDERS = { config: ['.config', 'oxydra'], cache: ['.cache', 'oxydra'] } as const;

/** The folder name Oxydra uses inside a config or cache base ($XDG_CONFIG_HOME/oxydra...). */
export const OXYDRA_FOLDER_NAME = 'oxydra';

/** The workspace's own folder (its state, config layer, checkpoints): hidden from commands. */
export const WORKSPACE_STATE_FOLDER = '.oxydra';
