/**
 * Keeps WebAssembly on V8's baseline compiler for a one-shot run. Node's fetch parses HTTP with
 * llhttp compiled to WebAssembly (undici), and the audit chain hashes with blake3 in
 * WebAssembly. After a couple of responses V8 judges llhttp's parser hot and recompiles it
 * with TurboFan on a background thread: ~27 MB of compiler memory (the process's peak RSS goes
 * from ~90 to ~118 MB) and a core's worth of work, for code that then parses the few kilobytes
 * a run still receives. A budget 100x V8's default (1.8M) leaves that to runs that really
 * stream a lot, or hash a large workspace for a checkpoint, where the optimized code pays off.
 *
 * Set through v8.setFlagsFromString before any WebAssembly module is compiled: V8 reads the
 * budget when a module is instantiated, so only modules made later are affected, and the
 * setting changes how fast code runs, never what it does.
 */
import { setFlagsFromString } from 'node:v8';

export const RUN_WASM_TIERING_BUDGET = 180_000_000;

let applied = false;

export function keepWasmOnBaselineTier(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString(`--wasm-tiering-budget=${RUN_WASM_TIERING_BUDGET}`);
}
