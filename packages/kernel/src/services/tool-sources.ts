/**
 * The kernel's tool sources (MCP servers, plugins, a host's own): started with the kernel —
 * each within a time limit, so a server that hangs on connect delays nobody for long and its
 * tools appear when it is ready — watched for changes of their lists, and closed with it. A
 * source that fails to start is a warning and a health line, never a failed kernel.
 */
import type { Tool, ToolSource, ToolSourceHealth } from '@oxydra/types';

/** How long the kernel waits for the sources to start before it serves without the slow ones. */
export const SOURCE_START_WAIT_MS = 5_000;

export class ToolSources {
  #unsubscribe: (() => void)[] = [];
  #failures = new Map<string, string>();

  constructor(
    readonly sources: readonly ToolSource[],
    private readonly warn: (message: string) => void,
  ) {}

  /** Starts every source; resolves when all have started or failed, or after `waitMs`. */
  async start(onChange: () => void, waitMs = SOURCE_START_WAIT_MS): Promise<void> {
    for (const source of this.sources) {
      const off = source.onChange?.(onChange);
      if (off) this.#unsubscribe.push(off);
    }
    const started = Promise.all(
      this.sources.map(async (source) => {
        try {
          await source.start?.();
        } catch (error) {
          const message = (error as Error).message;
          this.#failures.set(source.name, message);
          this.warn(`${source.name} did not start: ${message}`);
        }
        // Tools that arrived during start count as a change: assemblies made before must go.
        onChange();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((done) => {
      timer = setTimeout(done, waitMs);
      timer.unref();
    });
    await Promise.race([started, waited]);
    clearTimeout(timer);
  }

  /**
   * Every source's tools whose names no earlier tool (core, or an earlier source) has taken:
   * a clash is skipped with a warning rather than shadowing a tool the agent relies on.
   */
  tools(taken: ReadonlySet<string>): Tool[] {
    const names = new Set(taken);
    const out: Tool[] = [];
    for (const source of this.sources) {
      for (const tool of source.tools()) {
        if (names.has(tool.name)) {
          this.#warnOnce(
            `${source.name}: tool "${tool.name}" clashes with another tool of that name; skipped`,
          );
          continue;
        }
        names.add(tool.name);
        out.push(tool);
      }
    }
    return out;
  }

  health(): ToolSourceHealth[] {
    return this.sources.map((source) => {
      const failure = this.#failures.get(source.name);
      if (source.health) return source.health();
      return failure !== undefined
        ? { name: source.name, ok: false, detail: `did not start: ${failure}` }
        : { name: source.name, ok: true, detail: `${source.tools().length} tool(s)` };
    });
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    await Promise.allSettled(this.sources.map((source) => source.close?.()));
  }

  #warned = new Set<string>();
  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.warn(message);
  }
}
