import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OxydraError } from '@oxydra/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModel2VecEmbedder, type DownloadProgress } from '../src/embedders/model2vec/index.js';

// ---------------------------------------------------------------------------------------------
// A tiny model2vec model, written the way model2vec's save_pretrained writes one.

const DIMS = 8;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'the',
  'cat',
  'sat',
  'on',
  'mat',
  'dog',
  'a',
  'play',
  '##ing',
  '##ed',
  'un',
  '##able',
  'hello',
  'world',
  'cafe',
  '.',
  ',',
  '!',
  '?',
  'run',
  '##ner',
  'fast',
  'slow',
  'red',
  'blue',
  'green',
  'big',
  'small',
  'house',
  'tree',
  'sun',
  'moon',
  'star',
  'sky',
  'sea',
];
const VOCAB = [...SPECIALS, ...WORDS];
const ID = new Map(VOCAB.map((token, id) => [token, id]));

/**
 * Row values chosen to be exact in F16 (multiples of 1/64 up to ±2, plus one subnormal in the
 * row of "the"), so the F16 and F32 files hold the same numbers and one expectation serves both.
 */
const SUBNORMAL_ROW = VOCAB.indexOf('the');
const ROWS: number[][] = VOCAB.map((_, row) =>
  Array.from({ length: DIMS }, (_, col) =>
    row === SUBNORMAL_ROW && col === 0 ? 2 ** -20 : (((row * 37 + col * 11) % 257) - 128) / 64,
  ),
);

function tokenizerJson(): unknown {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ID),
    },
  };
}

/** Test-side binary16 encoder, for values exactly representable in F16. */
function toHalf(value: number): number {
  if (value === 0) return Object.is(value, -0) ? 0x8000 : 0;
  const sign = value < 0 ? 0x8000 : 0;
  const abs = Math.abs(value);
  if (abs < 2 ** -14) return sign | (abs / 2 ** -24);
  const exponent = Math.floor(Math.log2(abs));
  const mantissa = (abs / 2 ** exponent - 1) * 1024;
  if (!Number.isInteger(mantissa)) throw new Error(`${value} is not exact in F16`);
  return sign | ((exponent + 15) << 10) | mantissa;
}

function safetensors(tensors: Record<string, { dtype: 'F32' | 'F16'; rows: number[][] }>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, { dtype, rows }] of Object.entries(tensors)) {
    const width = dtype === 'F32' ? 4 : 2;
    const values = rows.flat();
    const data = Buffer.alloc(values.length * width);
    values.forEach((value, i) => {
      if (dtype === 'F32') data.writeFloatLE(value, i * 4);
      else data.writeUInt16LE(toHalf(value), i * 2);
    });
    header[name] = {
      dtype,
      shape: [rows.length, rows[0]?.length ?? 0],
      data_offsets: [offset, offset + data.length],
    };
    chunks.push(data);
    offset += data.length;
  }
  return rawSafetensors(JSON.stringify(header), Buffer.concat(chunks));
}

function rawSafetensors(headerJson: string, data: Buffer, declaredLength?: bigint): Buffer {
  // Like the reference writer, pad the header with spaces to a multiple of 8.
  const header = Buffer.from(headerJson.padEnd(Math.ceil(headerJson.length / 8) * 8, ' '));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(header.length));
  return Buffer.concat([prefix, header, data]);
}

interface ModelFiles {
  'config.json': Buffer;
  'tokenizer.json': Buffer;
  'model.safetensors': Buffer;
}

function modelFiles(
  options: { dtype?: 'F32' | 'F16'; normalize?: boolean; rows?: number[][] } = {},
): ModelFiles {
  const config: Record<string, unknown> = {
    model_type: 'model2vec',
    architectures: ['StaticModel'],
    tokenizer_name: 'test/tiny',
    apply_pca: DIMS,
    apply_zipf: true,
    hidden_dim: DIMS,
    seq_length: 1000000,
  };
  if (options.normalize !== undefined) config.normalize = options.normalize;
  return {
    'config.json': Buffer.from(JSON.stringify(config)),
    'tokenizer.json': Buffer.from(JSON.stringify(tokenizerJson())),
    'model.safetensors': safetensors({
      embeddings: { dtype: options.dtype ?? 'F32', rows: options.rows ?? ROWS },
    }),
  };
}

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oxydra-model2vec-'));
  temps.push(dir);
  return dir;
}

async function writeModel(files: Partial<ModelFiles>): Promise<string> {
  const dir = await tempDir();
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

/** The expected embedding, computed from ROWS directly: mean of rows, then L2 normalised. */
function expected(tokens: string[], normalize = true): number[] {
  const mean = new Array<number>(DIMS).fill(0);
  for (const token of tokens) {
    const row = ROWS[ID.get(token) ?? -1];
    if (!row) throw new Error(`test vocab lacks ${token}`);
    row.forEach((value, j) => {
      mean[j] = (mean[j] ?? 0) + value / tokens.length;
    });
  }
  const norm = Math.hypot(...mean);
  return normalize ? mean.map((value) => value / norm) : mean;
}

function expectVector(actual: Float32Array | undefined, want: number[]): void {
  expect(actual).toBeInstanceOf(Float32Array);
  expect(actual?.length).toBe(want.length);
  want.forEach((value, j) => {
    expect(actual?.[j]).toBeCloseTo(value, 6);
  });
}

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

// ---------------------------------------------------------------------------------------------

describe('model2vec embedder from a local folder', () => {
  it('embeds a text as the normalised mean of its token rows', async () => {
    const dir = await writeModel(modelFiles());
    const embedder = await createModel2VecEmbedder({ model: dir });
    expect(embedder.modelId).toBe(`model2vec:${dir}`);
    expect(embedder.dimensions).toBe(DIMS);
    const [first, second, third] = await embedder.embed(['The CAT sat.', 'Playing, unable!', 'the']);
    expectVector(first, expected(['the', 'cat', 'sat', '.']));
    expectVector(second, expected(['play', '##ing', ',', 'un', '##able', '!']));
    expectVector(third, expected(['the']));
    expect(Math.hypot(...(first ?? []))).toBeCloseTo(1, 6);
  });

  it('reads F16 matrices as the same numbers', async () => {
    const dir16 = await writeModel(modelFiles({ dtype: 'F16' }));
    const embedder = await createModel2VecEmbedder({ model: dir16 });
    const [vector] = await embedder.embed(['a dog on the mat?']);
    expectVector(vector, expected(['a', 'dog', 'on', 'the', 'mat', '?']));
    // The row of "the" holds a subnormal F16 value in column 0.
    const [the] = await embedder.embed(['the']);
    expect(the?.[0]).toBeCloseTo(expected(['the'])[0] ?? Number.NaN, 9);
    expect(the?.[0]).not.toBe(0);
  });

  it('drops unknown words and special tokens from the mean', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const [withUnknown, plain, special] = await embedder.embed([
      'the qwxyz cat',
      'the cat',
      '[CLS] the cat [SEP]',
    ]);
    expectVector(withUnknown, expected(['the', 'cat']));
    expectVector(plain, expected(['the', 'cat']));
    expectVector(special, expected(['the', 'cat']));
  });

  it('embeds texts without known tokens as the zero vector', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const vectors = await embedder.embed(['', '   ', 'qwxyz', '[PAD]']);
    expect(vectors).toHaveLength(4);
    for (const vector of vectors) expect(Array.from(vector)).toEqual(new Array(DIMS).fill(0));
    expect(await embedder.embed([])).toEqual([]);
  });

  it('skips normalising only when config.json says normalize: false', async () => {
    const raw = await createModel2VecEmbedder({ model: await writeModel(modelFiles({ normalize: false })) });
    const [vector] = await raw.embed(['sun moon']);
    expectVector(vector, expected(['sun', 'moon'], false));
    expect(Math.hypot(...(vector ?? []))).not.toBeCloseTo(1, 2);
    const explicit = await createModel2VecEmbedder({
      model: await writeModel(modelFiles({ normalize: true })),
    });
    expectVector((await explicit.embed(['sun moon']))[0], expected(['sun', 'moon']));
  });

  it('uses at most 512 tokens of a text, as model2vec does', async () => {
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    // "a." is two one-character tokens: 512 tokens in 512 characters, then tokens to ignore.
    const [capped] = await embedder.embed(['a.'.repeat(256) + ' dog'.repeat(100)]);
    expectVector(capped, expected(['a', '.']));
  });

  it('cuts long texts to 512 × the median token length in characters before tokenizing', async () => {
    const lengths = VOCAB.map((token) => token.length).sort((a, b) => a - b);
    const median = Math.trunc(
      lengths.length % 2
        ? (lengths[lengths.length >> 1] ?? 0)
        : ((lengths[lengths.length / 2 - 1] ?? 0) + (lengths[lengths.length / 2] ?? 0)) / 2,
    );
    // Six characters a token: the character cut comes well before the 512-token cap.
    const filler = 'house '.repeat(Math.ceil((512 * median) / 6));
    expect(filler.length / 6).toBeLessThan(500);
    const embedder = await createModel2VecEmbedder({ model: await writeModel(modelFiles()) });
    const [cut] = await embedder.embed([`${filler}dog`]);
    expectVector(cut, expected(['house']));
  });

  it('loads a folder given as ./relative path', async () => {
    const dir = await writeModel(modelFiles());
    const previous = process.cwd();
    process.chdir(join(dir, '..'));
    try {
      const embedder = await createModel2VecEmbedder({ model: `./${dir.split(/[/\\]/).pop()}` });
      expect(embedder.modelId).toBe(`model2vec:${dir}`);
    } finally {
      process.chdir(previous);
    }
  });
});

describe('model2vec load errors', () => {
  async function loadError(files: Partial<ModelFiles>): Promise<OxydraError> {
    const dir = await writeModel(files);
    const error = await createModel2VecEmbedder({ model: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toContain(`cannot load model2vec model ${dir}`);
    return error as OxydraError;
  }
  const good = modelFiles();
  const data = Buffer.alloc(ROWS.length * DIMS * 4);
  const header = (entry: unknown) => JSON.stringify({ embeddings: entry });

  it('names a missing file', async () => {
    const error = await loadError({
      'config.json': good['config.json'],
      'tokenizer.json': good['tokenizer.json'],
    });
    expect(error.message).toMatch(/model\.safetensors does not exist/);
    expect(error.code).toBe('config_error');
    expect(error.message).toMatch(
      /; put config\.json, tokenizer\.json, model\.safetensors from a model2vec model in /,
    );
  });

  it('rejects a header length beyond the file', async () => {
    const bytes = rawSafetensors(
      header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1280] }),
      data,
      1n << 40n,
    );
    const error = await loadError({ ...good, 'model.safetensors': bytes });
    expect(error.message).toMatch(
      /model\.safetensors is not a valid safetensors file: header length \d+ exceeds the file/,
    );
  });

  it('rejects a header that is not JSON', async () => {
    const error = await loadError({
      ...good,
      'model.safetensors': rawSafetensors('{"embeddings": {dty', data),
    });
    expect(error.message).toMatch(/not a valid safetensors file: header is not UTF-8 JSON/);
  });

  it('rejects a file shorter than the length prefix', async () => {
    const error = await loadError({ ...good, 'model.safetensors': Buffer.from([1, 2, 3]) });
    expect(error.message).toMatch(/not a valid safetensors file: only 3 bytes long/);
  });

  it('rejects data_offsets that disagree with shape or run past the data', async () => {
    const short = rawSafetensors(header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1000] }), data);
    expect((await loadError({ ...good, 'model.safetensors': short })).message).toMatch(
      /tensor "embeddings": shape \[40, 8\] of F32 needs 1280 bytes, data_offsets give 1000/,
    );
    const past = rawSafetensors(
      header({ dtype: 'F32', shape: [40, 8], data_offsets: [0, 1280] }),
      data.subarray(0, 640),
    );
    expect((await loadError({ ...good, 'model.safetensors': past })).message).toMatch(
      /fall outside the 640 data bytes/,
    );
  });

  it('rejects a missing tensor, a 1-D tensor and an unsupported dtype', async () => {
    const other = rawSafetensors(
      JSON.stringify({ weights: { dtype: 'F32', shape: [320], data_offsets: [0, 1280] } }),
      data,
    );
    expect((await loadError({ ...good, 'model.safetensors': other })).message).toMatch(
      /no tensor "embeddings" \(found: weights\)/,
    );
    const flat = rawSafetensors(header({ dtype: 'F32', shape: [320], data_offsets: [0, 1280] }), data);
    expect((await loadError({ ...good, 'model.safetensors': flat })).message).toMatch(
      /shape \[320\], expected 2-D/,
    );
    const ints = rawSafetensors(header({ dtype: 'I32', shape: [40, 8], data_offsets: [0, 1280] }), data);
    expect((await loadError({ ...good, 'model.safetensors': ints })).message).toMatch(
      /dtype I32; supported: F32, F16, BF16/,
    );
  });

  it('rejects a matrix with fewer rows than the vocabulary', async () => {
    const files = modelFiles({ rows: ROWS.slice(0, 20) });
    expect((await loadError(files)).message).toMatch(
      /tokenizer has ids up to 39 but the "embeddings" matrix has only 20 rows/,
    );
  });

  it('rejects a damaged tokenizer.json or config.json', async () => {
    expect((await loadError({ ...good, 'tokenizer.json': Buffer.from('{"model": ') })).message).toMatch(
      /tokenizer\.json is not valid JSON/,
    );
    expect((await loadError({ ...good, 'config.json': Buffer.from('[1') })).message).toMatch(
      /config\.json is not valid JSON/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

interface HubServer {
  url: string;
  requests: string[];
  /** Per request path: reply with only this many bytes of the file, then cut the connection. */
  truncate: Map<string, number>;
  close(): Promise<void>;
}

/** Serves `files` under every folder in `folders`, as the hub serves /<id>/resolve/main/<file>. */
async function startHub(folders: string[], files: ModelFiles): Promise<HubServer> {
  const requests: string[] = [];
  const truncate = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const folder = folders.find((prefix) => path.startsWith(`${prefix}/`));
    const body = folder === undefined ? undefined : files[path.slice(folder.length + 1) as keyof ModelFiles];
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    const cut = truncate.get(path);
    if (cut === undefined) {
      response.end(body);
      return;
    }
    response.write(body.subarray(0, cut), () => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    truncate,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('model2vec download', () => {
  const files = modelFiles();
  const REPO = 'test-org/tiny-model';
  let hub: HubServer;
  const savedEnv = { base: process.env.OXYDRA_HF_BASE_URL, xdg: process.env.XDG_CACHE_HOME };

  beforeAll(async () => {
    hub = await startHub([`/${REPO}/resolve/main`, '/plain/folder'], files);
  });
  afterAll(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.truncate.clear();
    for (const [key, value] of [
      ['OXYDRA_HF_BASE_URL', savedEnv.base],
      ['XDG_CACHE_HOME', savedEnv.xdg],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('downloads a repo id from OXYDRA_HF_BASE_URL with progress, then serves it from the cache', async () => {
    process.env.OXYDRA_HF_BASE_URL = `${hub.url}/`;
    const cacheDir = join(await tempDir(), 'tiny');
    const progress: DownloadProgress[] = [];
    // What a crash mid-download would leave: checked while each file is still arriving.
    const visibleMidway: string[][] = [];
    const before = hub.requests.length;
    const embedder = await createModel2VecEmbedder({
      model: REPO,
      cacheDir,
      onProgress: (p) => {
        progress.push(p);
        if (p.received < (p.total ?? 0))
          visibleMidway.push(readdirSync(cacheDir).filter((name) => name === p.file));
      },
    });
    expect(visibleMidway.length).toBeGreaterThanOrEqual(3);
    expect(visibleMidway.flat()).toEqual([]);

    expect(embedder.modelId).toBe(`model2vec:${REPO}`);
    expect(hub.requests.slice(before)).toEqual(
      ['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `/${REPO}/resolve/main/${file}`),
    );
    for (const [file, bytes] of Object.entries(files)) {
      expect(await readFile(join(cacheDir, file))).toEqual(bytes);
      const events = progress.filter((p) => p.file === file);
      expect(events[0]).toEqual({ file, received: 0, total: bytes.length });
      expect(events.at(-1)).toEqual({ file, received: bytes.length, total: bytes.length });
    }
    expect((await readdir(cacheDir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expectVector((await embedder.embed(['the cat']))[0], expected(['the', 'cat']));

    const afterFirst = hub.requests.length;
    const again: DownloadProgress[] = [];
    const cached = await createModel2VecEmbedder({ model: REPO, cacheDir, onProgress: (p) => again.push(p) });
    expect(hub.requests.length).toBe(afterFirst);
    expect(again).toEqual([]);
    expect(cached.modelId).toBe(embedder.modelId);
    expectVector((await cached.embed(['the cat']))[0], expected(['the', 'cat']));
  });

  it('defaults the cache to $XDG_CACHE_HOME/oxydra/models/<sanitised id>', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const xdg = await tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    await createModel2VecEmbedder({ model: REPO });
    expect((await readdir(join(xdg, 'oxydra', 'models', 'test-org--tiny-model'))).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
  });

  it('downloads from a folder URL, through the fetch it is given', async () => {
    const cacheDir = await tempDir();
    const fetched: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    };
    const embedder = await createModel2VecEmbedder({
      model: `${hub.url}/plain/folder/`,
      cacheDir,
      fetch: counting,
    });
    expect(embedder.modelId).toBe(`model2vec:${hub.url}/plain/folder`);
    expect(fetched).toEqual(
      ['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `${hub.url}/plain/folder/${file}`),
    );
    expectVector((await embedder.embed(['big red house']))[0], expected(['big', 'red', 'house']));
  });

  it('explains a 404: the model, the URL, the status and the offline fix', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const cacheDir = join(await tempDir(), 'missing');
    const error = await createModel2VecEmbedder({ model: 'test-org/missing', cacheDir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toBe(
      `cannot download test-org/missing: GET ${hub.url}/test-org/missing/resolve/main/config.json failed: HTTP 404 Not Found; ` +
        `use memory.embedding_backend = "deterministic" offline, or put the model files (config.json, tokenizer.json, model.safetensors) in ${cacheDir}`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('explains a refused connection', async () => {
    const dead = await startHub([], files);
    await dead.close();
    process.env.OXYDRA_HF_BASE_URL = dead.url;
    const cacheDir = await tempDir();
    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    const message = (error as Error).message;
    expect(message).toContain(
      `cannot download ${REPO}: GET ${dead.url}/${REPO}/resolve/main/config.json failed:`,
    );
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain(
      `use memory.embedding_backend = "deterministic" offline, or put the model files`,
    );
    expect(message).toContain(cacheDir);
  });

  it('never leaves a truncated download looking complete, and retries it next time', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const cacheDir = await tempDir();
    // A leftover partial file from an earlier crash must not count as the model.
    await writeFile(
      join(cacheDir, 'model.safetensors.999-deadbeef.part'),
      files['model.safetensors'].subarray(0, 10),
    );
    const weightsPath = `/${REPO}/resolve/main/model.safetensors`;
    hub.truncate.set(weightsPath, 100);

    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toContain(
      `cannot download ${REPO}: GET ${hub.url}${weightsPath} failed:`,
    );
    expect((await readdir(cacheDir)).sort()).toEqual([
      'config.json',
      'model.safetensors.999-deadbeef.part',
      'tokenizer.json',
    ]);

    hub.truncate.clear();
    const before = hub.requests.length;
    const embedder = await createModel2VecEmbedder({ model: REPO, cacheDir });
    expect(hub.requests.slice(before)).toEqual([weightsPath]);
    expect(await readFile(join(cacheDir, 'model.safetensors'))).toEqual(files['model.safetensors']);
    expectVector((await embedder.embed(['the sky']))[0], expected(['the', 'sky']));
  });

  it('rejects a body shorter than its Content-Length even when the stream ends cleanly', async () => {
    const cacheDir = await tempDir();
    const short: typeof fetch = async (input) => {
      const bytes = files[String(input).split('/').pop() as keyof ModelFiles];
      return new Response(bytes.subarray(0, 5), { headers: { 'content-length': String(bytes.length) } });
    };
    const error = await createModel2VecEmbedder({
      model: `${hub.url}/plain/folder`,
      cacheDir,
      fetch: short,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `GET ${hub.url}/plain/folder/config.json failed: truncated: received 5 of ${files['config.json'].length} bytes`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('tells a damaged cached file apart and says how to refetch', async () => {
    const cacheDir = await tempDir();
    await mkdir(cacheDir, { recursive: true });
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(cacheDir, file), bytes);
    await writeFile(join(cacheDir, 'model.safetensors'), Buffer.from('<html>rate limited</html>'));
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /cannot load model2vec model test-org\/tiny-model: .*not a valid safetensors file/,
    );
    expect((error as Error).message).toMatch(new RegExp(`; delete ${cacheDir} to download it again$`));
  });
});
