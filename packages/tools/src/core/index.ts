/** The core tools, configured from the agent's [tools] section. */
import { homeSecretPaths } from '@oxydra/sandbox/detect';
import type { Tool } from '@oxydra/types';
import type { PathPolicy } from '../paths.js';
import type { CommandRunner } from '../process/run-command.js';
import { vaultDenyPolicy } from '../vault/config.js';
import { createWebTools, type WebToolsOptions } from '../web/index.js';
import {
  fileDeleteTool,
  fileEditTool,
  fileListTool,
  fileReadTool,
  fileSearchTool,
  fileWriteTool,
  shellExecTool,
  vaultCopyToTool,
} from './catalog.js';
import type {
  FileReadOptions,
  FileSearchOptions,
  ShellConfig,
  ShellExecOptions,
  VaultCopyOptions,
} from './parameters.js';

export interface CoreToolsOptions {
  /** The config's tools.shell: shell_exec is included only when enabled. */
  shell: ShellConfig;
  read?: FileReadOptions;
  search?: FileSearchOptions;
  /** Replaces the command runner (the OS sandbox's). */
  runCommand?: CommandRunner;
  /** shell_exec refuses every command with this message (no working sandbox: fail closed). */
  shellUnavailable?: string;
  /** Source of the shell's allowlisted environment variables. Default: process.env. */
  env?: ShellExecOptions['env'];
  shellOutputBytes?: number;
  /** The config's tools.web_search: web_fetch and web_search are included when given. */
  webSearch?: WebToolsOptions['webSearch'];
  /** The config's tools.vault_path, made absolute: adds vault_copyto and keeps the file tools out. */
  vault?: VaultCopyOptions;
  /**
   * Folders no file tool may touch even inside the workspace (a workspace that is the home
   * directory): the same ones the sandbox hides from commands. Default: homeSecretPaths() (the
   * one list, HOME_SECRET_FOLDERS and OXYDRA_HOME_FOLDERS in @oxydra/types).
   */
  secretPaths?: readonly string[];
}

const SECRET_REASON = 'a secrets folder, hidden from every tool and command';

/** Pages are cut below the registry's 16 KiB output cap, so the cut is the tool's own, noted. */
const WEB_FETCH_MAX_CHARS = 14_000;

/** The folders the file tools keep out of (the vault, the secrets folders): also where a page's downloads may not go. */
export function fileToolsPolicy(options: Pick<CoreToolsOptions, 'vault' | 'secretPaths'>): PathPolicy {
  return {
    deny: [
      ...(options.vault ? (vaultDenyPolicy(options.vault.path).deny ?? []) : []),
      ...(options.secretPaths ?? homeSecretPaths()).map((path) => ({ path, reason: SECRET_REASON })),
    ],
  };
}

export function createCoreTools(options: CoreToolsOptions): Tool[] {
  const policy = fileToolsPolicy(options);
  const tools: Tool[] = [
    fileReadTool(options.read, policy),
    fileListTool(policy),
    fileSearchTool(options.search, policy),
    fileWriteTool(policy),
    fileEditTool(policy),
    fileDeleteTool(policy),
  ];
  if (options.vault) tools.push(vaultCopyToTool(options.vault));
  if (options.shell.enabled) {
    const shellOptions: ShellExecOptions = { shell: options.shell };
    if (options.runCommand) shellOptions.runCommand = options.runCommand;
    if (options.shellUnavailable !== undefined) shellOptions.unavailable = options.shellUnavailable;
    if (options.env) shellOptions.env = options.env;
    if (options.shellOutputBytes !== undefined) shellOptions.maxOutputBytes = options.shellOutputBytes;
    tools.push(shellExecTool(shellOptions));
  }
  if (options.webSearch)
    tools.push(...createWebTools({ webSearch: options.webSearch, maxChars: WEB_FETCH_MAX_CHARS }));
  return tools;
}
