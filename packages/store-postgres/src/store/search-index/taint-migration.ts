/**
 * A search chunk's taint (conversation recall's, docs/security.md "Recalled conversations"), as a
 * migration of migrations.ts: the libSQL file's version 7 on PostgreSQL. `taint` is JSON text
 * (taintText of @oxydra/types: one entry per kind of source the context held besides the
 * operator's words), NULL for none.
 *
 * Chunks written before it get every kind their whole session's stored messages carry (each
 * tool result's provenance is in its payload): conservative, as a chunk written before the page
 * was read counts too. The payload is read with a pattern, not as jsonb: jsonb refuses the
 * \u0000 escape a stored tool result may hold, and one such row would fail the migration. The
 * pattern matches only JSON.stringify's own key (a key quoted inside a string is escaped, so
 * text a page wrote cannot forge one); a source is kept as its JSON-escaped text, a label only.
 * Notes get their own `taint` (what the run that saved one held); older notes stay clean.
 */
const PROVENANCE = String.raw`'"provenance":\{"kind":"([a-z_]+)"(,"source":"((\\.|[^"\\])*)")?'`;

/** Migration `version`; TEXT: the bytewise text type. */
export function chunkTaintMigration(version: number, TEXT: string) {
  return {
    version,
    name: 'search chunk taint',
    sql: `
      ALTER TABLE search_chunks ADD COLUMN taint ${TEXT};
      ALTER TABLE notes ADD COLUMN taint ${TEXT};
      WITH found AS (
        SELECT session_id, regexp_match(payload, ${PROVENANCE}) AS m
        FROM conversation_events
        WHERE role IN ('tool', 'user') AND strpos(payload, '"provenance":{') > 0
      ), kinds AS (
        SELECT session_id, m[1] AS kind, min(m[3]) AS source FROM found
        WHERE m IS NOT NULL AND m[1] NOT IN ('user', 'system')
        GROUP BY session_id, m[1]
      ), held AS (
        SELECT session_id,
          jsonb_agg(jsonb_strip_nulls(jsonb_build_object('kind', kind, 'source', source)) ORDER BY kind)::text AS taint
        FROM kinds GROUP BY session_id
      )
      UPDATE search_chunks c SET taint = held.taint FROM held
      WHERE c.source_type = 'conversation' AND c.session_id = held.session_id;`,
  };
}
