/**
 * One embedding of an OpenAI-style answer as a Float32Array. We ask for `encoding_format:
 * base64` (little-endian float32s), but some compatible servers ignore the field and answer with
 * a list of numbers: both are read.
 */

/** The host's byte order: a Float32Array view reads little-endian bytes only on little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fromBase64(text: string, index: number): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) {
    throw new Error(`the embedding for input ${index} is ${bytes.length} bytes, not whole float32 values`);
  }
  const vector = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) {
    // One copy, byte for byte (the Buffer's offset in its pool need not be 4-aligned).
    new Uint8Array(vector.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  }
  return vector;
}

export function embeddingVector(value: unknown, index: number): Float32Array {
  if (typeof value === 'string') return fromBase64(value, index);
  if (Array.isArray(value) && value.every((item) => typeof item === 'number'))
    return Float32Array.from(value);
  throw new Error(`the embedding for input ${index} is neither base64 nor a list of numbers`);
}
