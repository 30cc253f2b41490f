/**
 * `@oxydra/kernel/turn-records`: the last gateway turn of each session, kept in its state (read,
 * and written compare-and-set), for the gateway's turns and for any member of a deployment that
 * reaps a dead gateway's turn. A subpath of its own so the gateway's turns do not load the
 * deployment's parts on libSQL.
 */
export {
  readTurnRecord,
  type TurnRecord,
  turnRecordWrite,
  writeTurnRecord,
} from '../services/turn-records.js';
