/**
 * The LISTEN/NOTIFY channel of a schema: every bus opened on the same database and schema
 * shares it, so gateways using another schema (another deployment on the same server) hear
 * nothing of theirs. PostgreSQL cuts identifiers at 63 bytes, and a 63-character schema would
 * not fit after the prefix: a long name keeps its start and gets a hash of the whole in place
 * of its end, so two long schemas differing only at the end still get two channels. The LISTEN
 * on it is the store's (store/bus-link.ts).
 */
import { createHash } from 'node:crypto';

const PREFIX = 'oxydra_bus_';
const MAX_IDENTIFIER_BYTES = 63;

/** The channel name (plain lower-case ASCII: `checkSchemaName` has let only those through). */
export function busChannel(schema: string): string {
  const name = `${PREFIX}${schema}`;
  if (name.length <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(schema).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX_IDENTIFIER_BYTES - hash.length - 1)}_${hash}`;
}
