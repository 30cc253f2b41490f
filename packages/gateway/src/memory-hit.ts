/**
 * A memory search hit as the gateway's clients read it (the REST API's /memory/search and the
 * MCP server's memory_search): snake_case fields, absent ids as null, absent tags as [].
 */
import type { SearchHit } from '@oxydra/types';

export function hitJson(hit: SearchHit) {
  return {
    text: hit.text,
    source: hit.source,
    score: hit.score,
    note_id: hit.noteId ?? null,
    session_id: hit.sessionId ?? null,
    tags: hit.tags ?? [],
  };
}
