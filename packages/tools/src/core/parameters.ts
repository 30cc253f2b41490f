/**
 * What a built-in tool's definition (catalog.ts) and its code share: the schema of its arguments
 * (and their type), its options and their defaults. The catalog imports its code at the first
 * call; the code imports these from here, so each schema has one home and no module imports the
 * other back. Each schema is a function that builds it: defineTool calls it at the tool's first
 * validation or the first read of its JSON Schema, so a start that makes the tools builds none.
 */
import type { AgentConfig } from '@oxydra/types';
import { z } from 'zod';
import type { CommandRunner } from '../process/run-command.js';
import { VAULT_PREFIX } from '../vault/config.js';
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

export const FILE_READ = () =>
  z.object({
    path: z.string(),
    // The page header says which offset reads on.
    offset: z.number().int().min(1).optional(),
    limit: z.number().int().min(1).optional(),
  });
export type FileReadArgs = z.output<ReturnType<typeof FILE_READ>>;

// ---- file_list

export const MAX_LIST_ENTRIES = 1000;

export const FILE_LIST = () =>
  z.object({
    path: z.string().optional().describe('default: workspace root'),
  });
export type FileListArgs = z.output<ReturnType<typeof FILE_LIST>>;

// ---- file_search

export const MAX_SEARCH_MATCHES = 200;

export interface FileSearchOptions {
  /** `auto` (default): ripgrep when `rg` is on PATH, else the JS walk. `js` forces the walk. */
  backend?: 'auto' | 'rg' | 'js';
  /** ripgrep's binary for `rg` (default: found on PATH). */
  rgPath?: string;
  maxMatches?: number;
}

export const FILE_SEARCH = () =>
  z.object({
    path: z.string(),
    query: z.string().min(1),
  });
export type FileSearchArgs = z.output<ReturnType<typeof FILE_SEARCH>>;

// ---- file_write

export const FILE_WRITE = () =>
  z.object({
    path: z.string(),
    content: z.string(),
  });
export type FileWriteArgs = z.output<ReturnType<typeof FILE_WRITE>>;

// ---- file_edit

export const FILE_EDIT = () =>
  z.object({
    path: z.string(),
    old_text: z.string().min(1),
    new_text: z.string(),
  });
export type FileEditArgs = z.output<ReturnType<typeof FILE_EDIT>>;

// ---- file_delete

export const FILE_DELETE = () =>
  z.object({
    path: z.string(),
  });
export type FileDeleteArgs = z.output<ReturnType<typeof FILE_DELETE>>;

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

export const SHELL_EXEC = () =>
  z.object({
    command: z.string().min(1),
  });
export type ShellExecArgs = z.output<ReturnType<typeof SHELL_EXEC>>;

// ---- vault_copyto

export interface VaultCopyOptions {
  /** Absolute path of the vault folder (see resolveVaultPath). */
  path: string;
  /** Largest file copied. Default 10 MiB. */
  maxBytes?: number;
}

export const VAULT_COPYTO = () =>
  z.object({
    source_path: z.string().min(1).describe(`${VAULT_PREFIX}<path>, or relative to the vault`),
    destination_path: z.string().min(1),
  });
export type VaultCopyArgs = z.output<ReturnType<typeof VAULT_COPYTO>>;

// ---- web_fetch

export interface WebFetchOptions {
  fetch: SafeFetch;
  /** Characters of text returned. Default 50,000. */
  maxChars?: number;
}

export const WEB_FETCH = () =>
  z.object({
    url: z.string().min(1),
  });
export type WebFetchArgs = z.output<ReturnType<typeof WEB_FETCH>>;

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

export const WEB_SEARCH = () =>
  z.object({
    query: z.string().min(1),
    count: z.number().int().min(1).max(10).default(5),
    freshness: z.enum(['day', 'week', 'month', 'year']).optional(),
  });
export type WebSearchArgs = z.output<ReturnType<typeof WEB_SEARCH>>;
