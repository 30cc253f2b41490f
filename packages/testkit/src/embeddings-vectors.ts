/**
 * The vectors the mock's embedding endpoints answer with: a unit vector seeded by a hash of
 * the text, so the same text always gets the same vector (on every run and machine) and
 * different texts get unrelated, nearly orthogonal ones. No meaning: tests that need
 * similarity use the deterministic embedder instead.
 */

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). Also what benchmarks draw synthetic data from. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mock's embedding of `text`: `dimensions` float32-exact values, L2 norm 1. */
export function mockEmbedding(text: string, dimensions: number): number[] {
  const next = seededRandom(fnv1a(text));
  const values = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.sqrt(values.reduce((sum, x) => sum + x * x, 0)) || 1;
  // Rounded through float32, so a base64 answer and a JSON answer decode to the same numbers.
  return Array.from(Float32Array.from(values, (x) => x / norm));
}

/** Little-endian float32 bytes in base64: OpenAI's `encoding_format: "base64"`. */
export function base64Floats(values: readonly number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}
