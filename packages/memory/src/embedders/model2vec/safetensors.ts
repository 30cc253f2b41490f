/**
 * A reader for the safetensors format, enough for model2vec's single embedding matrix.
 *
 * Layout (huggingface/safetensors): an unsigned 64-bit little-endian header length N, then N
 * bytes of UTF-8 JSON mapping each tensor name to { dtype, shape, data_offsets: [begin, end] }
 * (offsets relative to the first byte after the header, row-major, little-endian), an
 * optional "__metadata__" object of strings, then the raw tensor bytes. The header may be
 * padded with spaces. Every number in the header is checked before it is used, so a corrupt
 * or hostile file is a clear error, never an out-of-bounds read.
 */

interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface Matrix {
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float32Array;
}

/** The real headers we know of are a few MB; the reference implementation caps at 100 MB too. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

class SafetensorsError extends Error {
  constructor(source: string, problem: string) {
    super(`${source} is not a valid safetensors file: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

/** Parses and checks the header; `source` names the file in errors. */
function parseSafetensorsHeader(bytes: Uint8Array, source: string): Map<string, TensorInfo> {
  if (bytes.byteLength < 8) throw new SafetensorsError(source, `only ${bytes.byteLength} bytes long`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    throw new SafetensorsError(
      source,
      `header length ${headerLength} exceeds the file (${bytes.byteLength} bytes) or the 100 MB limit`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new SafetensorsError(source, `header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(source, 'header is not a JSON object');
  }
  const dataLength = bytes.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    tensors.set(name, checkEntry(source, name, entry, dataStart, dataLength));
  }
  return tensors;
}

function checkEntry(
  source: string,
  name: string,
  entry: unknown,
  dataStart: number,
  dataLength: number,
): TensorInfo {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, `tensor "${name}": ${problem}`);
  };
  if (typeof entry !== 'object' || entry === null) return fail('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') return fail('dtype is missing');
  if (!Array.isArray(shape) || !shape.every(isCount))
    return fail('shape is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail('data_offsets is not [begin, end]');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    return fail(`data_offsets [${begin}, ${end}] fall outside the ${dataLength} data bytes`);
  }
  const width = BYTES_PER_ELEMENT[dtype];
  if (width !== undefined) {
    const elements = (shape as number[]).reduce((product, dim) => product * dim, 1);
    if (elements * width !== end - begin) {
      return fail(
        `shape [${shape.join(', ')}] of ${dtype} needs ${elements * width} bytes, data_offsets give ${end - begin}`,
      );
    }
  }
  return { dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads a 2-D float tensor as F32, converting F16 and BF16 on load. */
export function readMatrix(bytes: Uint8Array, source: string, name: string): Matrix {
  const tensors = parseSafetensorsHeader(bytes, source);
  const info = tensors.get(name);
  if (info === undefined) {
    const names = [...tensors.keys()];
    throw new SafetensorsError(source, `no tensor "${name}" (found: ${names.join(', ') || 'none'})`);
  }
  if (info.shape.length !== 2) {
    throw new SafetensorsError(source, `tensor "${name}" has shape [${info.shape.join(', ')}], expected 2-D`);
  }
  const [rows, cols] = info.shape as [number, number];
  if (rows === 0 || cols === 0) throw new SafetensorsError(source, `tensor "${name}" is empty`);
  const count = rows * cols;
  const data = new Float32Array(count);
  // A DataView reads little-endian whatever the host and needs no alignment: the data section
  // starts right after the header, so a typed-array view over it may be misaligned.
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.begin, info.end - info.begin);
  switch (info.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      // bfloat16 is the top half of a float32.
      for (let i = 0; i < count; i++) data[i] = bfloat16ToFloat(view.getUint16(i * 2, true));
      break;
    default:
      throw new SafetensorsError(
        source,
        `tensor "${name}" has dtype ${info.dtype}; supported: F32, F16, BF16`,
      );
  }
  return { rows, cols, data };
}

/** IEEE 754 binary16 → number: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const bfloatScratch = new DataView(new ArrayBuffer(4));

function bfloat16ToFloat(bits: number): number {
  bfloatScratch.setUint32(0, bits << 16);
  return bfloatScratch.getFloat32(0);
}
