import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDeterministicEmbedder, embedText, stem } from '../src/embedders/deterministic.js';
import { cosine } from './retrieval-helpers.js';

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

describe('deterministic embedder', () => {
  const embedder = createDeterministicEmbedder();

  it('names its model and size', () => {
    expect(embedder.modelId).toBe('deterministic-v1-256');
    expect(embedder.dimensions).toBe(256);
    const small = createDeterministicEmbedder({ dimensions: 64 });
    expect(small.modelId).toBe('deterministic-v1-64');
    expect(() => createDeterministicEmbedder({ dimensions: 4 })).toThrow(RangeError);
    expect(() => createDeterministicEmbedder({ dimensions: 100.5 })).toThrow(RangeError);
  });

  it('gives unit vectors, and the zero vector for text without words', async () => {
    const [a, b, empty, symbols] = await embedder.embed([
      'hello',
      'A longer text about databases.',
      '',
      '--- !!! ---',
    ]);
    expect(norm(a!)).toBeCloseTo(1, 5);
    expect(norm(b!)).toBeCloseTo(1, 5);
    expect(a).toHaveLength(256);
    expect(norm(empty!)).toBe(0);
    expect(norm(symbols!)).toBe(0);
  });

  it('is deterministic: same text, same vector, in any process (pinned fingerprint)', async () => {
    const text = 'The staging database listens on port 5433.';
    const [first] = await embedder.embed([text]);
    const [second] = await createDeterministicEmbedder().embed([text]);
    expect(Array.from(second!)).toEqual(Array.from(first!));
    // Stored vectors are only comparable with new ones while this holds: changing the features
    // or the hash must come with a new modelId (deterministic-v2-...), which triggers reindex.
    const fingerprint = createHash('sha256').update(new Uint8Array(first!.buffer)).digest('hex').slice(0, 16);
    expect(fingerprint).toBe('622883a6bd14251c');
  });

  it('puts texts that share words, stems or word pieces closer than unrelated ones', () => {
    const cases: Array<[string, string, string]> = [
      ['indexing the notes', 'the note was indexed', 'bake bread at home'],
      ['deploy the service to production', 'production deployment of the service', 'my cat likes tuna'],
      ['wireguard tunnel configuration', 'wiregaurd tunell config', 'grandmother apple pie'],
      ['memory leak in the gateway', 'the gateway leaks memory', 'flight to Munich on Friday'],
      ['PostgreSQL staging port', 'postgres port for staging', 'guitar practice with scales'],
    ];
    for (const [text, similar, unrelated] of cases) {
      const v = embedText(text, 256);
      expect(cosine(v, embedText(similar, 256)), `${text} ~ ${similar}`).toBeGreaterThan(
        cosine(v, embedText(unrelated, 256)) + 0.1,
      );
    }
  });

  it('lets content words outweigh stop words', () => {
    const v = embedText('the database of the project', 256);
    expect(cosine(v, embedText('database project', 256))).toBeGreaterThan(
      cosine(v, embedText('the of the', 256)),
    );
  });
});

describe('stem', () => {
  it('strips common suffixes so word forms meet', () => {
    expect(stem('notes')).toBe(stem('noted'));
    expect(stem('noting')).toBe(stem('note'));
    expect(stem('indexes')).toBe(stem('indexing'));
    expect(stem('indexed')).toBe('index');
    expect(stem('running')).toBe('run');
    expect(stem('queries')).toBe(stem('query'));
    expect(stem('quickly')).toBe('quick');
  });

  it('leaves short words, numbers and -ss/-us/-is words alone', () => {
    expect(stem('is')).toBe('is');
    expect(stem('bus')).toBe('bus');
    expect(stem('class')).toBe('class');
    expect(stem('status')).toBe('status');
    expect(stem('analysis')).toBe('analysis');
    expect(stem('v2ed')).toBe('v2ed');
  });
});
