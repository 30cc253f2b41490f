/**
 * What a built-in tool's definition (catalog.ts) and its code share: the type of its arguments,
 * its options and their defaults. The catalog imports its code at the first call; the code
 * imports these from here, so no module imports the other back. The schemas themselves are in
 * catalog.ts, built at a tool's first use; it checks at compile time that each one's output is
 * the type here.
 */
import type { AgentConfig } from '@oxydra/types';
import type { CommandRunner } from '../process/run-command.js';
import type { SafeFetch } from '../web/safe-fetch.js';

// ---- file_read

export interface FileReadOptions {
  /** Lines per page. Default 2000. */
  maxLines?: number;
  /** Bytes per page, kept under the registry's 16 KiB output cap so pages are never cut. Default 15000. */
  maxBytes?: number;
}

export const DEFAULT_READ_LINES = 2000;
export const DEFAULT_READ_BYTES = 15_000;

export interface FileReadArgs {
  path: string;
  offset?: number | undefined;
  limit?: number | undefined;
}

// ---- file_list

export const MAX_LIST_ENTRIES = 1000;

export interface FileListArgs {
  path?: string | undefined;
}

// ---- file_search

export const MAX_SEARCH_MATCHES = 200;

export interface FileSearchOptions {
  /** `auto` (default): ripgrep when `rg` is on PATH, else the JS walk. `js` forces the walk. */
  backend?: 'auto' | 'rg' | 'js';
  /** ripgrep's binary for `rg` (default: found on PATH). */
  rgPath?: string;
  maxMatches?: number;
}

export interface FileSearchArgs {
  path: string;
  query: string;
}

// ---- file_write

export interface FileWriteArgs {
  path: string;
  content: string;
}

// ---- file_edit

export interface FileEditArgs {
  path: string;
  old_text: string;
  new_text: string;
}

// ---- file_delete

export interface FileDeleteArgs {
  path: string;
}

// ---- shell_exec

export type ShellConfig = AgentConfig['tools']['shell'];

export interface ShellExecOptions {
  shell: ShellConfig;
  /** Runs the command; the OS sandbox substitutes its own. Default: runCommand (process/run-command). */
  runCommand?: CommandRunner;
  /** Where the allowlisted variables come from. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Output shown to the model, its start and end halves. Default 12 KiB: under the registry's
   * 16 KiB cap, so the end of a long build log (where the error is) is never cut away.
   */
  maxOutputBytes?: number;
  killGraceMs?: number;
  /**
   * Set when no command may run (no working sandbox, and nobody chose to go without one): every
   * call fails with this message, which names the fix. Fail closed: nothing runs on the host.
   */
  unavailable?: string;
}

export const DEFAULT_SHELL_OUTPUT_BYTES = 12 * 1024;

export interface ShellExecArgs {
  command: string;
}

// ---- vault_copyto

export interface VaultCopyOptions {
  /** Absolute path of the vault folder (see resolveVaultPath). */
  path: string;
  /** Largest file copied. Default 10 MiB. */
  maxBytes?: number;
}

export interface VaultCopyArgs {
  source_path: string;
  destination_path: string;
}

// ---- web_fetch

export interface WebFetchOptions {
  fetch: SafeFetch;
  /** Characters of text returned. Default 50,000. */
  maxChars?: number;
}

export interface WebFetchArgs {
  url: string;
}

// ---- web_search

export const DUCKDUCKGO_URL = 'https://html.duckduckgo.com/html/';

/**
 * The most of a search backend's answer that is read: a results page or JSON list is tens of
 * kilobytes, and an answer past this is refused, not parsed cut (a cut page passed as a short
 * list, a cut JSON failed with the parser's words).
 */
export const MAX_SEARCH_ANSWER_BYTES = 1024 * 1024;

export interface WebSearchOptions {
  provider: 'duckduckgo' | 'searxng';
  /** DuckDuckGo's HTML endpoint (default DUCKDUCKGO_URL) or the SearxNG root (required). */
  baseUrl?: string;
  /** A safeFetch that allows the configured backend's host. */
  fetch: SafeFetch;
}

export interface WebSearchArgs {
  query: string;
  count: number;
  freshness?: 'day' | 'week' | 'month' | 'year' | undefined;
}
