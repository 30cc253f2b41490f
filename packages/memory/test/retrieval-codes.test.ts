/** The vector scan's building blocks: sign codes, table scoring, top-k, and score fusion. */
import { describe, expect, it } from 'vitest';
import { fuseScores, minMaxNormalise } from '../src/retrieval/retriever.js';
import { TopK } from '../src/store/libsql/search-index/code-scan.js';
import {
  codeBytes,
  rotate,
  rotatedSize,
  scoreCodes,
  scoreTables,
  signCode,
  vectorBlob,
} from '../src/store/libsql/search-index/codes.js';

function randomVector(dims: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: dims }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** What the tables must compute: the rotated query dotted with the code's ±1 vector. */
function signedDot(query: Float32Array, code: Uint8Array): number {
  const rotated = rotate(query);
  let sum = 0;
  for (let i = 0; i < rotated.length; i++) sum += ((code[i >> 3]! >> (i & 7)) & 1 ? 1 : -1) * rotated[i]!;
  return sum;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) sum += a[i]! * b[i]!;
  return sum;
}

describe('sign codes and table scoring', () => {
  it('rotates into the next power of two (at least 64), one code bit per rotated coordinate', () => {
    expect([rotatedSize(8), rotatedSize(100), rotatedSize(256), rotatedSize(1536)]).toEqual([
      64, 128, 256, 2048,
    ]);
    expect([codeBytes(8), codeBytes(100), codeBytes(256), codeBytes(1536)]).toEqual([8, 16, 32, 256]);
    const vector = randomVector(100, 3);
    const rotated = rotate(vector);
    const code = signCode(vector);
    expect(code).toHaveLength(16);
    for (let i = 0; i < rotated.length; i++)
      expect((code[i >> 3]! >> (i & 7)) & 1).toBe(rotated[i]! > 0 ? 1 : 0);
  });

  it('rotation keeps angles (orthogonal up to a common scale) and spreads a spike evenly', () => {
    const a = randomVector(256, 5);
    const b = randomVector(256, 6);
    // Unnormalised Walsh-Hadamard: H·Hᵀ = n·I.
    expect(dot(rotate(a), rotate(b))).toBeCloseTo(256 * dot(a, b), 2);
    const spike = new Float32Array(256);
    spike[3] = 1;
    expect(new Set(Array.from(rotate(spike), Math.abs))).toEqual(new Set([1]));
    expect(Array.from(rotate(a))).toEqual(Array.from(rotate(Float32Array.from(a))));
  });

  for (const dims of [256, 100, 384]) {
    it(`scores codes exactly as the signed dot product (${dims} dimensions)`, () => {
      const codes = Array.from({ length: 20 }, (_, i) => signCode(randomVector(dims, i + 1)));
      const bytes = codeBytes(dims);
      const packed = new Uint8Array(codes.length * bytes);
      codes.forEach((code, i) => {
        packed.set(code, i * bytes);
      });
      const query = randomVector(dims, 99);
      const out = new Float64Array(codes.length);
      scoreCodes(new Uint32Array(packed.buffer), codes.length, bytes, scoreTables(query), out);
      codes.forEach((code, i) => {
        expect(out[i]).toBeCloseTo(signedDot(query, code), 4);
      });
    });
  }

  it('scores a vector highest against its own code', () => {
    const vectors = Array.from({ length: 50 }, (_, i) => randomVector(256, i + 7));
    const packed = new Uint8Array(50 * 32);
    vectors.forEach((v, i) => {
      packed.set(signCode(v), i * 32);
    });
    const out = new Float64Array(50);
    scoreCodes(new Uint32Array(packed.buffer), 50, 32, scoreTables(vectors[17]!), out);
    expect(out.indexOf(Math.max(...out))).toBe(17);
  });

  it('stores float32 bytes as libSQL reads them (a copy)', () => {
    const vector = Float32Array.from([1, 2, 3]);
    const blob = vectorBlob(vector);
    expect(Array.from(blob.slice(0, 4))).toEqual([0, 0, 0x80, 0x3f]);
    vector[0] = 9;
    expect(blob[3]).toBe(0x3f);
  });
});

describe('TopK', () => {
  it('keeps the k largest, best first', () => {
    const top = new TopK(3);
    [5, 1, 9, 7, 3, 8].forEach((score, id) => {
      top.push(id, score);
    });
    expect(top.sorted()).toEqual([2, 5, 3]);
    expect(top.threshold).toBe(7);
  });

  it('leaves the pool in the order a heap swapping at every level leaves it (the rerank ties follow it)', () => {
    /** The heap as it was before the hole-based sifts: a swap per level, the same comparisons. */
    const reference = (k: number, scores: readonly number[]) => {
      const heap: [number, number][] = [];
      const swap = (a: number, b: number) => {
        [heap[a], heap[b]] = [heap[b]!, heap[a]!];
      };
      scores.forEach((score, id) => {
        if (heap.length < k) {
          heap.push([id, score]);
          for (let i = heap.length - 1; i > 0; ) {
            const parent = (i - 1) >> 1;
            if (heap[parent]![1] <= score) break;
            swap(i, parent);
            i = parent;
          }
          return;
        }
        if (score <= heap[0]![1]) return;
        heap[0] = [id, score];
        for (let i = 0; ; ) {
          const left = 2 * i + 1;
          let smallest = i;
          if (left < k && heap[left]![1] < heap[smallest]![1]) smallest = left;
          if (left + 1 < k && heap[left + 1]![1] < heap[smallest]![1]) smallest = left + 1;
          if (smallest === i) break;
          swap(i, smallest);
          i = smallest;
        }
      });
      return heap.map(([id]) => id);
    };
    let state = 11;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    // Many ties, as 1-bit codes' scores have (identical codes score alike): five values only, or a
    // finer spread with one value taking 40%; as many scores as the pool (the filling alone) or more.
    const coarse = () => Math.floor(random() * 5);
    const spread = () => (random() < 0.4 ? 0.5 : Math.round(random() * 40) / 40);
    for (const k of [1, 2, 7, 64, 512]) {
      for (const n of [k, 4000]) {
        for (const draw of [coarse, spread]) {
          const scores = Array.from({ length: n }, draw);
          const top = new TopK(k);
          scores.forEach((score, id) => {
            top.push(id, score);
          });
          expect([...top.unordered()]).toEqual(reference(k, scores));
        }
      }
    }
  });

  it('handles fewer items than k, and k = 0', () => {
    const top = new TopK(5);
    top.push(1, 0.5);
    expect(top.threshold).toBe(Number.NEGATIVE_INFINITY);
    expect(top.sorted()).toEqual([1]);
    const none = new TopK(0);
    none.push(1, 1);
    expect(none.sorted()).toEqual([]);
  });
});

describe('score fusion', () => {
  it('min-max normalises a list to [0, 1], all-equal scores to 1', () => {
    expect([
      ...minMaxNormalise(
        new Map([
          [1, 2],
          [2, 4],
          [3, 3],
        ]),
      ).values(),
    ]).toEqual([0, 1, 0.5]);
    expect([
      ...minMaxNormalise(
        new Map([
          [1, -7],
          [2, -7],
        ]),
      ).values(),
    ]).toEqual([1, 1]);
  });

  it('weights the normalised lists; missing from a list counts 0; ties go to the newer chunk', () => {
    const vector = new Map([
      [1, 0.9],
      [2, 0.5],
      [3, 0.1],
    ]);
    const fts = new Map([
      [3, 12],
      [4, 2],
    ]);
    const fused = fuseScores(vector, fts, { vector: 0.7, fts: 0.3 });
    // 1: 0.7·1; 2: 0.7·0.5; 3: 0.7·0 + 0.3·1; 4: 0.3·0.
    expect(fused.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    expect(fused[0]).toEqual({ id: 1, score: 0.7, vector: 1, fts: 0 });
    expect(fused[1]!.score).toBeCloseTo(0.35);
    expect(fused[2]!.score).toBeCloseTo(0.3);
    expect(fused[3]!.score).toBe(0);
    const tied = fuseScores(
      new Map([
        [5, 1],
        [9, 1],
      ]),
      new Map(),
      { vector: 1, fts: 0 },
    );
    expect(tied.map((f) => f.id)).toEqual([9, 5]);
  });

  it('takes no candidates from a list weighted 0', () => {
    const fused = fuseScores(new Map([[1, 0.9]]), new Map([[2, 5]]), { vector: 0, fts: 1 });
    expect(fused.map((f) => f.id)).toEqual([2]);
  });
});
