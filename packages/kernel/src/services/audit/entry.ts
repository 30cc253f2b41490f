/**
 * An audit entry and its hash. The hash is BLAKE3 over a canonical encoding of every field but
 * itself: the JSON array [domain, seq, ts, actor, action, resource, prev_hash], where `action`
 * is the canonical JSON of {type, data} (keys sorted at every level). A JSON array has no field
 * boundary ambiguity (Oxios concatenates raw strings, so "ab"+"c" and "a"+"bc" hash alike).
 */
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';

/**
 * Only hash-wasm's BLAKE3 build: its package entry point compiles every algorithm it has
 * (measured 45-50 ms at start-up, against 12 ms for this one file).
 */
function loadBlake3(): { createBLAKE3(): Promise<IHasher> } {
  return createRequire(import.meta.url)('hash-wasm/dist/blake3.umd.min.js') as {
    createBLAKE3(): Promise<IHasher>;
  };
}

const AUDIT_DOMAIN = 'oxydra-audit-v1';
export const GENESIS = 'genesis';

/** What happened, as Oxios tags it: {"type": "tool_call", "data": {...}}. */
export interface AuditAction {
  type: string;
  data: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  /** ISO 8601 UTC, milliseconds. */
  ts: string;
  /** Who did it: "agent:<id>", "user:<name>", "cli", "gateway", "system". */
  actor: string;
  action: AuditAction;
  /** What it was done to: a path, a tool, a host, a session, "" when nothing in particular. */
  resource: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted, so equal values always encode (and hash) alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of sortedKeys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) sorted[key] = sortKeys(field);
  }
  return sorted;
}

/**
 * Object.keys(value).sort(), for a few keys sorted in place: Array.prototype.sort copies into a
 * work area first, and every audit entry sorts twice (measured: 2% of what a turn allocates).
 * The same order (code units, as the default comparator); a large object goes to sort itself.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** BLAKE3 of entries, reusing one WebAssembly hasher (hash-wasm: 1.6 µs per entry, measured). */
export class EntryHasher {
  private constructor(private readonly hasher: IHasher) {}

  static async create(): Promise<EntryHasher> {
    return new EntryHasher(await loadBlake3().createBLAKE3());
  }

  /** `actionJson` is the stored canonical text, hashed as stored (never re-encoded). */
  hash(
    seq: number,
    ts: string,
    actor: string,
    actionJson: string,
    resource: string,
    prevHash: string,
  ): string {
    this.hasher.init();
    this.hasher.update(JSON.stringify([AUDIT_DOMAIN, seq, ts, actor, actionJson, resource, prevHash]));
    // The same lowercase hex as digest('hex'), which builds it with String.fromCharCode.apply over
    // a 64-element array (an argument list of 64 made per entry, ~0.5 KB): the digest's 32 bytes
    // written out by Buffer instead.
    const digest = this.hasher.digest('binary');
    return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
  }
}
