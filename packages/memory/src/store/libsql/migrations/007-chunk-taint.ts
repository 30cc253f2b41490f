/**
 * Version 7: a search chunk's taint (conversation recall's, docs/security.md "Recalled
 * conversations"): the sources other than the operator's own words that the run's context held
 * when the text was written, as JSON (`[{"kind":"web","source":"https://…"}]`, one per kind),
 * NULL for none. Recall hands it on, so a clean session that recalls a tainted one's words is
 * gated as the tainted one was.
 *
 * Chunks written before this version: their session's stored messages still carry the
 * provenance each tool result (and other sender's message) had, so each conversation chunk gets
 * every kind its whole session held, from any point of it. Conservative: a chunk written before
 * the page was read counts as tainted too (which of the session's chunks came before is not
 * known), and so do the operator's own prompts there. Notes get a `taint` column too (what
 * the run that saved or updated one held); notes saved before had no provenance anywhere, so
 * they stay clean, as before.
 */
import type { Migration } from './types.js';

export const chunkTaintMigration: Migration = {
  version: 7,
  name: 'chunk-taint',
  statements: [
    'ALTER TABLE chunks ADD COLUMN taint TEXT',
    // A note's own, as its chunks': what the run that saved it held (none known before).
    'ALTER TABLE notes ADD COLUMN taint TEXT',
    `UPDATE chunks SET taint = held.taint
     FROM (
       SELECT session_id, json_group_array(json_object('kind', kind, 'source', source)) AS taint
       FROM (
         SELECT session_id, json_extract(payload, '$.provenance.kind') AS kind,
                min(json_extract(payload, '$.provenance.source')) AS source
         FROM conversation_events
         WHERE role IN ('tool', 'user') AND json_valid(payload)
           AND json_type(payload, '$.provenance.kind') = 'text'
           AND json_extract(payload, '$.provenance.kind') NOT IN ('user', 'system')
         GROUP BY session_id, kind
       )
       GROUP BY session_id
     ) AS held
     WHERE chunks.source_type = 'conversation' AND chunks.session_id = held.session_id`,
  ],
};
