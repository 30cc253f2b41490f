/**
 * The vector search's WebAssembly: one module per code size, generated here as bytes (no
 * compile step, no binary checked in), with `score`, the code scan (CodeStore, code-scan.ts),
 * and `dot`, the rerank's int16 dot product (Int16Vectors, query-memo.ts).
 *
 * `score` is scoreCodes (codes.ts) as WebAssembly: the same float64 additions in the same
 * order, so every score is the same number to the bit. Faster because WebAssembly's loads need
 * no bounds check (guard pages) and every table offset is a constant: the function is unrolled
 * for one code size, and the tables sit at address 0, so a lookup is a shift, a mask and a load
 * with a fixed offset. Measured (256 dimensions, 32-byte codes): ~9-10 ns a code against ~23-25
 * for scoreCodes in JavaScript.
 *
 * The module imports its memory: the caller keeps the tables (or the rerank's query) at
 * address 0 and the codes (or the int16 values) and the output wherever it likes.
 */

const I32 = 0x7f;
const F64 = 0x7c;

const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  f64Add: 0xa0,
  i32Load: 0x28,
  i32Load16S: 0x2e,
  i32ShrU: 0x76,
  i32And: 0x71,
  f64Mul: 0xa2,
  f64ConvertI32S: 0xb7,
  voidBlock: 0x40,
} as const;

function unsigned(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/** Small non-negative constants only (what this module needs). */
function signed(value: number): number[] {
  if (value < 0 || value >= 2 ** 30) throw new RangeError(`constant ${value} out of range`);
  const out = unsigned(value);
  // A set sign bit in the last byte would read as negative: one more byte.
  if ((out[out.length - 1]! & 0x40) !== 0) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsigned(body.length), ...body];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsigned(bytes.length), ...bytes];
}

// Parameters and locals of the scan functions.
const CODES = 0;
const COUNT = 1;
const OUT = 2;
const END = 3;
const EVEN = 4;
const ODD = 5;
/** The current 4-byte word of the code. */
const WORD = 6;

/** Bytes 0-3 of a word as table offsets (byte × 8): a shift and a mask each. */
const BYTE_OFFSET = [
  [op.i32Shl, 3],
  [op.i32ShrU, 5],
  [op.i32ShrU, 13],
  [op.i32ShrU, 21],
] as const;

/**
 * score(codes, count, out): scores `count` codes of `bytes` bytes from address `codes`, each
 * written as a float64 at `out` onwards. Per code and per 8-byte step, as scoreCodes:
 * even += ((t0 + t1) + t2) + t3 and odd += ((t4 + t5) + t6) + t7, both starting at +0, and the
 * score is even + odd. A code is read a 4-byte word at a time, each byte's table offset (its
 * value × 8) taken out by a shift and a mask: measured ~10% faster than a load per byte.
 */
function scanBody(bytes: number): number[] {
  const body: number[] = [];
  /** The table entry for byte `position` of the code, on the stack. */
  const lookup = (position: number) => {
    if (position % 4 === 0)
      body.push(op.localGet, CODES, op.i32Load, 2, ...unsigned(position), op.localSet, WORD);
    const [shift, by] = BYTE_OFFSET[position % 4]!;
    body.push(op.localGet, WORD, op.i32Const, by, shift, op.i32Const, ...signed(2040), op.i32And);
    body.push(op.f64Load, 3, ...unsigned(position * 2048));
  };
  const zero = [op.f64Const, 0, 0, 0, 0, 0, 0, 0, 0];
  // end = codes + count * bytes
  body.push(op.localGet, COUNT, op.i32Const, ...signed(bytes), op.i32Mul, op.localGet, CODES, op.i32Add);
  body.push(op.localSet, END);
  body.push(op.block, op.voidBlock, op.loop, op.voidBlock);
  body.push(op.localGet, CODES, op.localGet, END, op.i32GeU, op.brIf, 1);
  body.push(...zero, op.localSet, EVEN, ...zero, op.localSet, ODD);
  for (let step = 0; step < bytes; step += 8) {
    for (const [sum, first] of [
      [EVEN, step],
      [ODD, step + 4],
    ] as const) {
      body.push(op.localGet, sum);
      lookup(first);
      for (let j = 1; j < 4; j++) {
        lookup(first + j);
        body.push(op.f64Add);
      }
      body.push(op.f64Add, op.localSet, sum);
    }
  }
  body.push(op.localGet, OUT, op.localGet, EVEN, op.localGet, ODD, op.f64Add, op.f64Store, 3, 0);
  body.push(op.localGet, OUT, op.i32Const, 8, op.i32Add, op.localSet, OUT);
  body.push(op.localGet, CODES, op.i32Const, ...signed(bytes), op.i32Add, op.localSet, CODES);
  body.push(op.br, 0, op.end, op.end);
  // Local groups: END (i32), EVEN and ODD (f64), WORD (i32).
  return [3, 1, I32, 2, F64, 1, I32, ...body, op.end];
}

// Parameters and locals of the dot function.
const VALUES = 0;
const QUERY = 1;
const DIMS = 2;
const END_OF_FOURS = 3;
const END_OF_VALUES = 4;
/** The sums d0-d3 (f64, locals 5-8), and the same as two float64x2 lanes: (d0, d1), (d2, d3). */
const D0 = 5;
const D01 = 9;
const D23 = 10;

const V128 = 0x7b;

/** A SIMD instruction: the prefix 0xfd, then its opcode as LEB128. */
function simd(opcode: number): number[] {
  return [0xfd, ...unsigned(opcode)];
}
const V128_LOAD = simd(0x00);
/** Four int16 sign-extended to four int32 lanes. */
const LOAD_16X4_S = simd(0x03);
const F64X2_EXTRACT_LANE = simd(0x21);
const F64X2_ADD = simd(0xf0);
const F64X2_MUL = simd(0xf2);
/** The low two int32 lanes to two float64 lanes (exact). */
const F64X2_CONVERT_LOW_I32X4_S = simd(0xfe);

/**
 * dot(values, query, dims): the dot product of `dims` int16 values at `values` with `dims`
 * float64 coordinates at `query`, summed as int16Dot (query-memo.ts), its JavaScript twin:
 * dk += value × coordinate for the coordinates ≡ k (mod 4) of the whole groups of four, the
 * rest into d0, all starting at +0, then ((d0 + d1) + d2) + d3. The groups run in two float64x2
 * lanes, (d0, d1) and (d2, d3): each lane does the same IEEE float64 multiplication and
 * addition as the scalar code (WebAssembly fuses nothing, and an int16 converts exactly), so
 * the result is the same number to the bit. A loop, not unrolled for a size: the rerank calls
 * it per pooled row. Measured ~0.6× int16Dot's time at 256 dimensions (scalar: ~0.8×).
 */
function dotBody(): number[] {
  const body: number[] = [];
  /** Past `count` values (2 bytes each) and coordinates (8 bytes each). */
  const advance = (count: number) => {
    body.push(op.localGet, VALUES, op.i32Const, ...signed(2 * count), op.i32Add, op.localSet, VALUES);
    body.push(op.localGet, QUERY, op.i32Const, ...signed(8 * count), op.i32Add, op.localSet, QUERY);
  };
  /** A loop running `inner` until VALUES reaches local `end`. */
  const loopTo = (end: number, inner: () => void) => {
    body.push(op.block, op.voidBlock, op.loop, op.voidBlock);
    body.push(op.localGet, VALUES, op.localGet, end, op.i32GeU, op.brIf, 1);
    inner();
    body.push(op.br, 0, op.end, op.end);
  };
  // End of the whole groups of four: values + (dims >> 2) × 8; of all values: values + dims × 2.
  body.push(op.localGet, VALUES, op.localGet, DIMS, op.i32Const, 2, op.i32ShrU, op.i32Const, 3, op.i32Shl);
  body.push(op.i32Add, op.localSet, END_OF_FOURS);
  body.push(op.localGet, VALUES, op.localGet, DIMS, op.i32Const, 1, op.i32Shl, op.i32Add);
  body.push(op.localSet, END_OF_VALUES);
  loopTo(END_OF_FOURS, () => {
    // lanes += widen(values 2j, 2j+1) × coordinates 2j, 2j+1, for the pairs j = 0 and 1 of the group.
    for (const [lanes, pair] of [
      [D01, 0],
      [D23, 1],
    ] as const) {
      body.push(op.localGet, lanes, op.localGet, VALUES);
      // Four int16 from byte 4·pair (the two wanted and two more) to int32, the low two to float64.
      body.push(...LOAD_16X4_S, 1, ...unsigned(4 * pair), ...F64X2_CONVERT_LOW_I32X4_S);
      body.push(op.localGet, QUERY);
      body.push(...V128_LOAD, 3, ...unsigned(16 * pair), ...F64X2_MUL, ...F64X2_ADD, op.localSet, lanes);
    }
    advance(4);
  });
  for (const [lanes, lane, sum] of [
    [D01, 0, D0],
    [D01, 1, D0 + 1],
    [D23, 0, D0 + 2],
    [D23, 1, D0 + 3],
  ] as const) {
    body.push(op.localGet, lanes, ...F64X2_EXTRACT_LANE, lane, op.localSet, sum);
  }
  // The rest, one at a time into d0.
  loopTo(END_OF_VALUES, () => {
    body.push(op.localGet, D0, op.localGet, VALUES, op.i32Load16S, 1, 0, op.f64ConvertI32S);
    body.push(op.localGet, QUERY, op.f64Load, 3, 0, op.f64Mul, op.f64Add, op.localSet, D0);
    advance(1);
  });
  body.push(op.localGet, D0, op.localGet, D0 + 1, op.f64Add, op.localGet, D0 + 2, op.f64Add);
  body.push(op.localGet, D0 + 3, op.f64Add);
  // Local groups: the two ends (i32), d0-d3 (f64), the two lane pairs (v128).
  return [3, 2, I32, 4, F64, 2, V128, ...body, op.end];
}

/**
 * The module's bytes for codes of `bytes` bytes (a positive multiple of 8): `score` (the scan)
 * and, `withDot`, `dot` (the rerank), one compile serving both.
 */
function scanModuleBytes(bytes: number, withDot: boolean): Uint8Array {
  if (bytes <= 0 || bytes % 8 !== 0) throw new RangeError(`code size ${bytes} is not a multiple of 8`);
  const types = [0x60, 3, I32, I32, I32, 0, 0x60, 3, I32, I32, I32, 1, F64];
  const imports = [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1];
  const bodies = withDot ? [scanBody(bytes), dotBody()] : [scanBody(bytes)];
  const functions = [bodies.length, ...bodies.map((_, index) => index)];
  const exports = [bodies.length, ...name('score'), 0x00, 0, ...(withDot ? [...name('dot'), 0x00, 1] : [])];
  const code = [bodies.length, ...bodies.flatMap((body) => [...unsigned(body.length), ...body])];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [2, ...types]),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** The part of the WebAssembly API used here (the lib this project compiles against has no types for it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly memory page. */
const PAGE = 65536;

/** A memory of `bytes` bytes at least. */
export function wasmMemory(bytes: number): WasmMemory {
  return new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
}

/** `memory` grown in place to `bytes` bytes at least: its old buffer is detached, its bytes kept. */
export function growMemory(memory: WasmMemory, bytes: number): void {
  const pages = Math.ceil((bytes - memory.buffer.byteLength) / PAGE);
  if (pages > 0) memory.grow(pages);
}

const modules = new Map<number, WasmModule>();

/**
 * The compiled module for `bytes`-byte codes, compiled once per size and process. Without
 * WebAssembly SIMD (V8 on an x64 processor lacking SSE4.1) the module has the scan alone and
 * the rerank stays in JavaScript (dotFunction: undefined).
 */
function scanModule(bytes: number): WasmModule {
  let module = modules.get(bytes);
  if (module === undefined) {
    const full = scanModuleBytes(bytes, true);
    module = new wasm.Module(wasm.validate(full) ? full : scanModuleBytes(bytes, false));
    modules.set(bytes, module);
  }
  return module;
}

export type ScoreFunction = (codes: number, count: number, out: number) => void;
export type DotFunction = (values: number, query: number, dims: number) => number;

/** The module's functions bound to `memory` (the scan's needs the tables at address 0). */
function kernels(bytes: number, memory: WasmMemory): { score: ScoreFunction; dot: DotFunction | undefined } {
  const { exports } = new wasm.Instance(scanModule(bytes), { env: { memory } });
  return { score: exports.score as ScoreFunction, dot: exports.dot as DotFunction | undefined };
}

/** `score` bound to `memory`, which must hold the tables at address 0. */
export function scanFunction(bytes: number, memory: WasmMemory): ScoreFunction {
  return kernels(bytes, memory).score;
}

/**
 * `dot` bound to `memory`, from the module of `bytes`-byte codes (the dot product does not
 * depend on it: the scan's own size, so the process compiles one module); undefined without
 * WebAssembly SIMD.
 */
export function dotFunction(bytes: number, memory: WasmMemory): DotFunction | undefined {
  return kernels(bytes, memory).dot;
}
