/**
 * The local models this process holds, and their release, without loading the engine: the
 * engine registers itself here when it first loads, so a host that never ran a local model (most
 * runs) frees nothing and loads nothing (node-llama-cpp included) to find that out. The kernel's
 * close releases them (assemble/base.ts), the one place every host (run, gateway, TUI) ends.
 */
export interface HeldModels {
  unload(): Promise<void>;
  count(): number;
}

let held: HeldModels | undefined;

export function holdLocalModels(engine: HeldModels): void {
  held = engine;
}

/** How many local models are loaded now (0 when the engine never loaded). */
export function loadedLocalModels(): number {
  return held?.count() ?? 0;
}

/** Frees every loaded local model (memory, threads, GPU buffers); a later call loads again. */
export async function releaseLocalModels(): Promise<void> {
  await held?.unload();
}
