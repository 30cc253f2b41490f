/**
 * An audit entry and its hash. The hash is BLAKE3 over a canonical encoding of every field but
 * itself: the JSON array [domain, seq, ts, actor, action, resource, prev_hash], where `action`
 * is the canonical JSON of {type, data} (keys sorted at every level). A JSON array has no field
 * boundary ambiguity (Oxios concatenates raw strings, so "ab"+"c" and "a"+"bc" hash alike).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';

/** hash-wasm's BLAKE3 build: only this one file (its package entry point compiles every algorithm it has). */
const BLAKE3_FILE = 'hash-wasm/dist/blake3.umd.min.js';

/**
 * hash-wasm's BLAKE3 through its own asynchronous set-up (measured 45-50 ms at start-up for
 * the package entry point, against 12 ms for this one file).
 */
function loadBlake3(): { createBLAKE3(): Promise<IHasher> } {
  return createRequire(import.meta.url)(BLAKE3_FILE) as { createBLAKE3(): Promise<IHasher> };
}

/** The part of the WebAssembly API used here (the lib this project compiles against has no types for it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What hash-wasm's BLAKE3 WebAssembly exports (its WASMInterface drives the same calls). */
interface Blake3Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Init(keyLength: number): void;
  Hash_Update(length: number): void;
  Hash_Final(digestLength: number): void;
}

/** hash-wasm's input buffer in the module's memory (its MAX_HEAP): input goes through in pieces this size. */
const INPUT_BYTES = 16 * 1024;
/** BLAKE3("abc"), from the BLAKE3 reference implementation's test vectors. */
const BLAKE3_OF_ABC = '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85';
const DIGEST_BYTES = 32;

/**
 * hash-wasm's BLAKE3 WebAssembly (the module embedded in BLAKE3_FILE, base64), compiled and
 * instantiated synchronously, and driven as hash-wasm's own code drives it (init, update in
 * pieces of its input buffer, final; unkeyed, 32 bytes): hex digests, the same as
 * `createBLAKE3()`'s. hash-wasm's set-up decodes the module in JavaScript and compiles and
 * instantiates it with WebAssembly's promise APIs, which finish on the event loop after work on
 * other threads: a fresh gateway start's main thread sat idle for it, 2-7 ms, between opening
 * kernel.db and the audit chain; compiled here (~0.3 ms, V8's baseline compiler) nothing waits.
 * undefined when the file does not hold what is expected, or hashes "abc" to anything but
 * BLAKE3's digest (another hash-wasm version): the caller then uses hash-wasm's own set-up.
 */
function blake3Sync(): ((text: string) => string) | undefined {
  try {
    const require = createRequire(import.meta.url);
    const source = readFileSync(require.resolve(BLAKE3_FILE), 'latin1');
    const embedded = /\bname:"blake3",data:"([A-Za-z0-9+/]+={0,2})"/.exec(source)?.[1];
    if (embedded === undefined) return undefined;
    const module = new wasmApi.Module(Buffer.from(embedded, 'base64'));
    const wasm = new wasmApi.Instance(module, {}).exports as Blake3Exports;
    const calls = ['Hash_GetBuffer', 'Hash_Init', 'Hash_Update', 'Hash_Final'] as const;
    if (
      !(wasm.memory?.buffer instanceof ArrayBuffer) ||
      calls.some((name) => typeof wasm[name] !== 'function')
    )
      return undefined;
    const at = wasm.Hash_GetBuffer();
    const blake3 = (text: string): string => {
      const input = Buffer.from(text, 'utf8');
      // A view made at each call: the memory's buffer is replaced if the module ever grows it.
      const buffer = new Uint8Array(wasm.memory.buffer, at, INPUT_BYTES);
      wasm.Hash_Init(0);
      for (let read = 0; read < input.length; read += INPUT_BYTES) {
        const piece = input.subarray(read, read + INPUT_BYTES);
        buffer.set(piece);
        wasm.Hash_Update(piece.length);
      }
      wasm.Hash_Final(DIGEST_BYTES);
      return Buffer.from(wasm.memory.buffer, at, DIGEST_BYTES).toString('hex');
    };
    // Driving another version's internals the old way could hash differently, and every stored
    // chain would then fail to verify: BLAKE3's published digest of "abc" first (a few µs).
    return blake3('abc') === BLAKE3_OF_ABC ? blake3 : undefined;
  } catch {
    return undefined;
  }
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
  private constructor(private readonly blake3: (text: string) => string) {}

  /** Resolves without waiting on the event loop (blake3Sync), unless it falls back to hash-wasm's set-up. */
  static async create(): Promise<EntryHasher> {
    const sync = blake3Sync();
    if (sync) return new EntryHasher(sync);
    const hasher = await loadBlake3().createBLAKE3();
    return new EntryHasher((text) => hasher.init().update(text).digest('hex'));
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
    return this.blake3(JSON.stringify([AUDIT_DOMAIN, seq, ts, actor, actionJson, resource, prevHash]));
  }
}
