/** What both search backends take and return. */

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
