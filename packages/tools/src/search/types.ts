/** What both search backends take and return, and the bounds both keep. */

/**
 * Files above this are skipped: logs and dumps that size are for the shell, not a text search
 * (and one long line of such a file, held whole, could exhaust the process's memory).
 */
export const MAX_SEARCHED_FILE_BYTES = 8 * 1024 * 1024;

/** A matching line's text is kept up to this length: the tool shows less, and 200 whole lines could be gigabytes. */
export const MAX_MATCH_TEXT_CHARS = 1000;

export const keptText = (line: string): string =>
  line.length > MAX_MATCH_TEXT_CHARS ? line.slice(0, MAX_MATCH_TEXT_CHARS) : line;

export interface SearchRequest {
  /** Real path of the workspace root. */
  root: string;
  /** What to search, relative to the root, `/`-separated: a folder or one file. */
  target: string;
  /** Literal text; case-insensitive unless it has an upper-case letter (smart case). */
  query: string;
  /** Stop after this many matches (one more is looked for, to know whether there are more). */
  maxMatches: number;
  signal: AbortSignal;
}

export interface SearchMatch {
  /** Relative to the workspace root, `/`-separated. */
  path: string;
  line: number;
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** More matches exist than were returned. */
  truncated: boolean;
  /** A folder not searched because it is nested deeper than MAX_WALK_DEPTH (the JS walk only). */
  tooDeep?: string;
}

export type SearchBackend = (request: SearchRequest) => Promise<SearchResult>;

export const isCaseSensitive = (query: string): boolean => query !== query.toLowerCase();
