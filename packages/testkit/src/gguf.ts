/**
 * A tiny, valid GGUF model for tests of the in-process llama.cpp provider: no weights can be
 * downloaded in CI, so tests write their own. The file is a "llama" architecture network with a
 * few layers, tiny dimensions and seeded random F32 weights, and a SentencePiece ("llama")
 * vocabulary of the three special tokens, the 256 byte-fallback tokens llama.cpp needs to
 * tokenize any text, and the printable ASCII characters. Its answers are noise: tests check the
 * path (load, stream, grammar, cancel, unload), never the text.
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (version 3, little-endian).
 */
import { writeFile } from 'node:fs/promises';

export interface TinyGgufOptions {
  /** Transformer blocks; default 2. */
  layers?: number;
  /** Embedding width; default 64 (a multiple of `heads`). */
  embedding?: number;
  /** Attention heads; default 4. */
  heads?: number;
  /** Feed-forward width; default 128. */
  feedForward?: number;
  /** The context length the model declares; default 4096. */
  contextLength?: number;
  /** Seed of the weights, so the same options give the same file. */
  seed?: number;
  /** A Jinja chat template stored as tokenizer.chat_template; default: ChatML. */
  chatTemplate?: string;
}

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** GGUF metadata value types. */
const T = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_F32 = 0;
const ALIGNMENT = 32;

type Value =
  | { type: 'uint32' | 'int32' | 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'float32s' | 'int32s'; value: number[] };

/** Writes the model to `path` and returns its size in bytes. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<number> {
  const bytes = tinyGguf(options);
  await writeFile(path, bytes);
  return bytes.length;
}

/** The model file's bytes. */
export function tinyGguf(options: TinyGgufOptions = {}): Buffer {
  const layers = options.layers ?? 2;
  const embedding = options.embedding ?? 64;
  const heads = options.heads ?? 4;
  const feedForward = options.feedForward ?? 128;
  const vocab = tinyVocabulary();
  const metadata: [string, Value][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'oxydra-tiny' }],
    ['general.alignment', { type: 'uint32', value: ALIGNMENT }],
    ['llama.context_length', { type: 'uint32', value: options.contextLength ?? 4096 }],
    ['llama.embedding_length', { type: 'uint32', value: embedding }],
    ['llama.block_count', { type: 'uint32', value: layers }],
    ['llama.feed_forward_length', { type: 'uint32', value: feedForward }],
    ['llama.attention.head_count', { type: 'uint32', value: heads }],
    ['llama.attention.head_count_kv', { type: 'uint32', value: heads }],
    ['llama.rope.dimension_count', { type: 'uint32', value: embedding / heads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['llama.vocab_size', { type: 'uint32', value: vocab.tokens.length }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'float32s', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'int32s', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'uint32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'uint32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'uint32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.chat_template', { type: 'string', value: options.chatTemplate ?? CHATML_TEMPLATE }],
  ];
  const random = seededRandom(options.seed ?? 1);
  const tensors: { name: string; dims: number[] }[] = [
    { name: 'token_embd.weight', dims: [embedding, vocab.tokens.length] },
    { name: 'output_norm.weight', dims: [embedding] },
    { name: 'output.weight', dims: [embedding, vocab.tokens.length] },
  ];
  for (let i = 0; i < layers; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [embedding] },
      { name: `blk.${i}.attn_q.weight`, dims: [embedding, embedding] },
      { name: `blk.${i}.attn_k.weight`, dims: [embedding, embedding] },
      { name: `blk.${i}.attn_v.weight`, dims: [embedding, embedding] },
      { name: `blk.${i}.attn_output.weight`, dims: [embedding, embedding] },
      { name: `blk.${i}.ffn_norm.weight`, dims: [embedding] },
      { name: `blk.${i}.ffn_gate.weight`, dims: [embedding, feedForward] },
      { name: `blk.${i}.ffn_down.weight`, dims: [feedForward, embedding] },
      { name: `blk.${i}.ffn_up.weight`, dims: [embedding, feedForward] },
    );
  }
  return encode(metadata, tensors, (name, count) => {
    // Norms are ones (a plain RMS norm); matrices small random values so activations stay finite.
    if (name.endsWith('norm.weight')) return new Float32Array(count).fill(1);
    const values = randomMatrix(count, random);
    // The output rows of the special and byte tokens are zero, so the model prefers printable
    // characters: its streamed text is visible (lone bytes would be held back as partial UTF-8).
    if (name === 'output.weight') values.fill(0, 0, vocab.firstPrintable * embedding);
    return values;
  });
}

function tinyVocabulary(): { tokens: string[]; scores: number[]; types: number[]; firstPrintable: number } {
  // Token types: 1 normal, 2 unknown, 3 control, 6 byte.
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const firstPrintable = tokens.length;
  // "▁" is SentencePiece's space; printable ASCII after it, so plain text tokenizes without bytes.
  for (const piece of ['▁', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))]) {
    if (piece === ' ') continue;
    tokens.push(piece);
    types.push(1);
  }
  return { tokens, types, scores: tokens.map((_, i) => -i), firstPrintable };
}

function encode(
  metadata: [string, Value][],
  tensors: { name: string; dims: number[] }[],
  data: (name: string, count: number) => Float32Array,
): Buffer {
  const out = new Writer();
  out.raw(Buffer.from('GGUF', 'latin1'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    out.value(value);
  }
  let offset = 0;
  const blobs: Buffer[] = [];
  for (const tensor of tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_F32);
    out.u64(offset);
    const values = data(tensor.name, count);
    const blob = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const padded = Buffer.alloc(align(blob.length));
    blob.copy(padded);
    blobs.push(padded);
    offset += padded.length;
  }
  out.raw(Buffer.alloc(align(out.length) - out.length));
  for (const blob of blobs) out.raw(blob);
  return out.bytes();
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

class Writer {
  #chunks: Buffer[] = [];
  length = 0;

  raw(bytes: Buffer): void {
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.raw(b);
  }

  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.raw(b);
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.raw(b);
  }

  value(v: Value): void {
    switch (v.type) {
      case 'strings':
        this.u32(T.array);
        this.u32(T.string);
        this.u64(v.value.length);
        for (const s of v.value) this.string(s);
        return;
      case 'float32s':
      case 'int32s': {
        this.u32(T.array);
        this.u32(v.type === 'float32s' ? T.float32 : T.int32);
        this.u64(v.value.length);
        for (const n of v.value) this.scalar(v.type === 'float32s' ? 'float32' : 'int32', n);
        return;
      }
      case 'string':
        this.u32(T.string);
        this.string(v.value);
        return;
      case 'bool':
        this.u32(T.bool);
        this.raw(Buffer.from([v.value ? 1 : 0]));
        return;
      default:
        this.u32(T[v.type]);
        this.scalar(v.type, v.value);
    }
  }

  scalar(type: 'uint32' | 'int32' | 'float32', n: number): void {
    const b = Buffer.alloc(4);
    if (type === 'uint32') b.writeUInt32LE(n);
    else if (type === 'int32') b.writeInt32LE(n);
    else b.writeFloatLE(n);
    this.raw(b);
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.length);
  }
}

/** mulberry32: small, seeded, good enough for weights nobody reads. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMatrix(count: number, random: () => number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (random() - 0.5) * 0.2;
  return values;
}
