/**
 * One `[mcp.servers.<name>]` as a ToolSource, on the official SDK's Client: stdio (the server
 * process, inside the sandbox policy unless told otherwise) or Streamable HTTP. Its tools are
 * offered as `<server>__<tool>` with the server's description and inputSchema; arguments are
 * checked against that schema before a call leaves; the safety tier is the configured one,
 * else read_only when the server marks the tool readOnlyHint, else privileged (approval).
 *
 * Connection life: a dropped connection (the process exits, HTTP fails) is retried with
 * exponential backoff (0.5 s doubling to 30 s) for as long as the source is open; the last
 * list of tools stays offered meanwhile, and a call made then waits briefly for the reconnect
 * before it fails with a tool error saying so. A call cut off by the drop is sent again after
 * the reconnect only when that cannot repeat an effect: the request never reached the server,
 * or the tool is read-only (the call itself: tool-call.ts). `notifications/tools/list_changed`
 * refreshes the list and tells the onChange listeners. Nothing a secret is made of (a bearer
 * token, header or env values) ever appears in a health line or an error: every message goes
 * through `#scrub`.
 *
 * Limits (`max_*` in its config, limits.ts): a server listing more than max_tools tools is
 * refused (unhealthy, none offered; the listing stops reading there), a tool whose inputSchema
 * is over max_schema_bytes or too deep is left out, a description (marked as the server's,
 * markedDescription) over max_description_chars is cut, and a call whose arguments hold a string over max_argument_bytes is refused before
 * it is validated or sent. Each left-out tool and cut description is named in the health line.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type Tool as McpTool, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  type McpServerConfig,
  redactSecretForms,
  type Tool,
  type ToolSource,
  type ToolSourceHealth,
} from '@oxydra/types';
import { TOO_LARGE } from './bounded-fetch.js';
import { connectionError, firstLine, messageOf, withTimeout } from './connection-errors.js';
import { type McpToolInfo, offerTools } from './offered-tools.js';
import { ConfigProblem, openTransport, serverSecrets } from './server-transport.js';
import { SandboxRefusal, type StdioLaunch } from './stdio-launch.js';
import { CoveredStdioTransport } from './stdio-transport.js';
import { callTool, type ToolCallSource } from './tool-call.js';
import { ToolListCap } from './tool-list-cap.js';
import { schemaValidator } from './validate.js';

export const CLIENT_INFO = { name: 'oxydra', version: '0.1.0' };

export interface ReconnectOptions {
  /** First delay after a drop; doubles per failed attempt. Default 500 ms. */
  initialDelayMs?: number;
  /** Longest delay between attempts. Default 30 s. */
  maxDelayMs?: number;
  /** How long a call made while disconnected waits for the reconnect. Default 5 s. */
  callWaitMs?: number;
}

export interface McpServerSourceOptions {
  /** The `[mcp.servers.<name>]` key; tools are `<server>__<tool>`. */
  server: string;
  config: McpServerConfig;
  /** `[mcp] call_timeout_secs` in ms. */
  callTimeoutMs: number;
  /** `[mcp] start_timeout_secs` in ms: the limit on one connection attempt. */
  startTimeoutMs: number;
  /** stdio: how the process is started (planStdio). */
  launch?: StdioLaunch;
  /** stdio: why the server may not start at all (the sandbox is required and unavailable). */
  refusal?: string;
  /** Where bearer_token_env is read. */
  env: Readonly<Record<string, string | undefined>>;
  reconnect?: ReconnectOptions;
}

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

interface Live {
  generation: number;
  client: Client;
  transport: Transport;
  launch?: StdioLaunch;
}

const STDERR_TAIL = 2048;
const MAX_LIST_PAGES = 100;

export class McpServerSource implements ToolSource {
  readonly name: string;
  readonly server: string;
  readonly transportKind: 'stdio' | 'http';
  readonly #config: McpServerConfig;
  readonly #options: McpServerSourceOptions;
  readonly #secrets: string[];
  /** What a tool call (tool-call.ts) uses of this source. */
  readonly #callSource: ToolCallSource<Live>;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #callWait: number;
  #state: State = 'idle';
  #detail = '';
  #live: Live | undefined;
  #generation = 0;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #attempting: Promise<void> | undefined;
  #lastAttemptAt = 0;
  #tools: Tool[] = [];
  #infos: McpToolInfo[] = [];
  #skipped = 0;
  /** Why tools were left out or cut (health), and why the whole list was refused. */
  #leftOut: string[] = [];
  #cut = 0;
  #refused: string | undefined;
  #signature = '';
  #stderr = '';
  /** HTTP: why the connection was closed for an oversize message, else ''. */
  #oversize = '';
  readonly #listeners = new Set<() => void>();
  readonly #waiters = new Set<() => void>();

  constructor(options: McpServerSourceOptions) {
    this.server = options.server;
    this.name = `mcp:${options.server}`;
    this.#config = options.config;
    this.#options = options;
    this.transportKind = options.config.url !== undefined ? 'http' : 'stdio';
    this.#initialDelay = options.reconnect?.initialDelayMs ?? 500;
    this.#maxDelay = options.reconnect?.maxDelayMs ?? 30_000;
    this.#callWait = options.reconnect?.callWaitMs ?? 5_000;
    const secrets = serverSecrets(options.config, options.env);
    this.#secrets = secrets.messages;
    this.#callSource = {
      server: this.server,
      timeoutMs: options.callTimeoutMs,
      outputSecrets: secrets.output,
      ready: (signal) => this.#ready(signal),
      detail: () => this.health().detail,
      scrub: (text) => this.#scrub(text),
      reasonOf: (error) => this.#reasonOf(error),
      dropped: (live, reason) => this.#dropped(live, reason),
    };
    if (options.refusal !== undefined) this.#fail(options.refusal);
  }

  tools(): Tool[] {
    return this.#tools;
  }

  /** The offered tools with the server's own names and what decided their safety. */
  toolInfos(): readonly McpToolInfo[] {
    return this.#infos;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get state(): State {
    return this.#state;
  }

  /** The stdio transport's process (bubblewrap when sandboxed), for diagnostics and tests. */
  get pid(): number | undefined {
    const transport = this.#live?.transport;
    return transport instanceof CoveredStdioTransport ? (transport.pid ?? undefined) : undefined;
  }

  /** The isolation a stdio server runs under, or the endpoint of an HTTP one (no query string). */
  get where(): string {
    if (this.#config.url !== undefined) {
      const url = new URL(this.#config.url);
      return `Streamable HTTP ${url.origin}${url.pathname}`;
    }
    return `stdio, ${this.#options.launch?.isolation ?? 'not started'}`;
  }

  health(): ToolSourceHealth {
    const count = this.#tools.length;
    const skipped = this.#skipped > 0 ? `, ${this.#skipped} skipped (they need MCP tasks)` : '';
    const leftOut =
      this.#leftOut.length > 0
        ? `, ${this.#leftOut.length} left out (${this.#leftOut.slice(0, 3).join('; ')}${this.#leftOut.length > 3 ? '; …' : ''})`
        : '';
    const cut =
      this.#cut > 0
        ? `, ${this.#cut} description${this.#cut === 1 ? '' : 's'} cut to max_description_chars = ${this.#config.max_description_chars}`
        : '';
    const tools = `${count} tool${count === 1 ? '' : 's'}${skipped}${leftOut}${cut}`;
    switch (this.#state) {
      case 'connected':
        if (this.#refused !== undefined) return { name: this.name, ok: false, detail: this.#refused };
        return { name: this.name, ok: true, detail: `connected, ${tools}; ${this.where}` };
      case 'reconnecting':
        return {
          name: this.name,
          ok: false,
          detail: `reconnecting (attempt ${this.#attempt}): ${this.#detail}`,
        };
      case 'failed':
        return { name: this.name, ok: false, detail: `not started: ${this.#detail}` };
      case 'closed':
        return { name: this.name, ok: false, detail: 'closed' };
      default:
        return { name: this.name, ok: false, detail: `connecting; ${this.where}` };
    }
  }

  /**
   * Connects (one attempt, within start_timeout_secs). A failure is thrown for the kernel's
   * warning, and the source keeps retrying in the background, except when the server is
   * refused (the sandbox) or misconfigured: that is final.
   */
  async start(): Promise<void> {
    if (this.#state === 'failed') throw new Error(this.#detail);
    if (this.#state !== 'idle') return;
    this.#setState('connecting');
    await this.#attempt_();
    const state = this.#state as State;
    if (state === 'failed' || state === 'reconnecting') throw new Error(this.#detail);
  }

  /** Lists the tools again (what a list-changed notification does). */
  async refresh(): Promise<void> {
    const live = this.#live;
    if (!live || this.#state !== 'connected') return;
    await this.#list(live);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    clearTimeout(this.#timer);
    this.#generation++;
    const live = this.#live;
    this.#live = undefined;
    if (live?.transport instanceof StreamableHTTPClientTransport) {
      // Tell the server the session is over (best effort, briefly).
      await withTimeout(live.transport.terminateSession(), 1_000, 'no answer').catch(() => {});
    }
    await this.#teardown(live);
    await this.#options.launch?.close();
    this.#listeners.clear();
  }

  // ---- connection ----

  /** One connection attempt; on failure the next is scheduled (or the source fails for good). */
  #attempt_(): Promise<void> {
    this.#attempting ??= (async () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#lastAttemptAt = Date.now();
      const generation = ++this.#generation;
      const old = this.#live;
      this.#live = undefined;
      await this.#teardown(old);
      try {
        await this.#connect(generation);
        this.#attempt = 0;
        this.#setState('connected');
      } catch (error) {
        if (generation !== this.#generation || this.#state === 'closed') return;
        if (error instanceof SandboxRefusal || error instanceof ConfigProblem) {
          this.#fail(error.message);
          return;
        }
        this.#scheduleReconnect(this.#reasonOf(error));
      }
    })().finally(() => {
      this.#attempting = undefined;
    });
    return this.#attempting;
  }

  /** Connects and lists the tools; whatever it started is stopped again when it fails or is superseded. */
  async #connect(generation: number): Promise<void> {
    const transport = await this.#transport();
    const client = new Client(CLIENT_INFO, {
      capabilities: {},
      jsonSchemaValidator: schemaValidator(this.#config.max_schema_bytes),
    });
    const live: Live = { generation, client, transport };
    if (generation !== this.#generation) throw new Error('superseded');
    this.#live = live;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (this.#live !== live) return;
      try {
        await this.#list(live);
      } catch (error) {
        if (connectionError(error)) this.#dropped(live, this.#reasonOf(error));
      }
    });
    client.onclose = () => this.#dropped(live, this.#exitReason());
    client.onerror = (error) => {
      // HTTP: an SSE event over the cap of one message (bounded-fetch.ts) was cut; the request
      // it carried would wait for its timeout. The connection is closed instead, saying why.
      if (messageOf(error).includes(TOO_LARGE)) {
        this.#oversize = firstLine(messageOf(error));
        void live.client.close();
        return;
      }
      // HTTP: a failed SSE stream or POST is an error, not a close: ask the server whether it is there.
      void this.#probe(live);
    };
    const timeout = this.#options.startTimeoutMs;
    const seconds = Math.round(timeout / 1000);
    try {
      await withTimeout(
        // tools/list answers are cut to max_tools + 1 before the SDK parses them.
        client.connect(new ToolListCap(transport, this.#config.max_tools + 1), { timeout }),
        timeout,
        `did not connect within ${seconds} s`,
      );
      await withTimeout(this.#list(live), timeout, `did not list its tools within ${seconds} s`);
      if (generation !== this.#generation) throw new Error('superseded');
    } catch (error) {
      if (this.#live === live) this.#live = undefined;
      await this.#teardown(live);
      throw error;
    }
  }

  #transport(): Promise<Transport> {
    this.#stderr = '';
    this.#oversize = '';
    // The stderr's tail is kept for messages.
    return openTransport(this.#config, this.#options.env, this.#options.launch, (text) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
  }

  async #list(live: Live): Promise<void> {
    const listed: McpTool[] = [];
    const max = this.#config.max_tools;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await live.client.listTools(cursor ? { cursor } : {}, {
        timeout: this.#options.startTimeoutMs,
      });
      listed.push(...result.tools);
      // Over the cap: the server is refused whatever the other pages hold; do not read them.
      if (listed.length > max) break;
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    if (this.#live !== live) return;
    this.#refused =
      listed.length > max
        ? `refused: it lists more than ${max} tools (max_tools = ${max}), so none of its tools are offered; ` +
          `if you trust it, raise [mcp.servers.${this.server}] max_tools`
        : undefined;
    this.#setTools(this.#refused === undefined ? listed : [], live);
  }

  #setTools(listed: McpTool[], live: Live): void {
    const offered = offerTools(listed, {
      server: this.server,
      config: this.#config,
      callTimeoutMs: this.#options.callTimeoutMs,
      scrub: (text) => this.#scrub(text),
      call: (info, args, context) => callTool(this.#callSource, info, args, context),
    });
    this.#skipped = offered.skipped;
    this.#leftOut = offered.leftOut;
    this.#cut = offered.cut;
    const signature = JSON.stringify(
      offered.tools.map((t) => [t.name, t.description, t.parameters, t.safety]),
    );
    this.#tools = offered.tools;
    this.#infos = offered.infos;
    if (signature !== this.#signature && live === this.#live) {
      this.#signature = signature;
      for (const listener of [...this.#listeners]) listener();
    }
  }

  /** The connection `live` is gone: reconnect, unless it was already replaced or closed. */
  #dropped(live: Live, reason: string): void {
    if (this.#live !== live || this.#state !== 'connected') return;
    this.#live = undefined;
    void this.#teardown(live);
    this.#scheduleReconnect(reason);
  }

  #probing = false;
  async #probe(live: Live): Promise<void> {
    if (this.#probing || this.#live !== live || this.#state !== 'connected') return;
    this.#probing = true;
    try {
      await live.client.ping({ timeout: 5_000 });
    } catch (error) {
      this.#dropped(live, this.#reasonOf(error));
    } finally {
      this.#probing = false;
    }
  }

  #scheduleReconnect(reason: string): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#attempt++;
    this.#detail = reason;
    this.#setState('reconnecting');
    const delay = Math.min(this.#initialDelay * 2 ** (this.#attempt - 1), this.#maxDelay);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt_(), delay);
    this.#timer.unref();
  }

  async #teardown(live: Live | undefined): Promise<void> {
    if (!live) return;
    live.client.onclose = undefined;
    live.client.onerror = undefined;
    try {
      await live.client.close();
    } catch {
      // Already gone.
    }
  }

  #fail(reason: string): void {
    this.#detail = this.#scrub(reason);
    this.#setState('failed');
  }

  #setState(state: State): void {
    this.#state = state;
    for (const wake of [...this.#waiters]) wake();
  }

  #reasonOf(error: unknown): string {
    const stderr = this.#config.url === undefined ? firstLine(this.#stderr) : '';
    const said = messageOf(error);
    const message = this.#oversize && !said.includes(TOO_LARGE) ? `${said}: ${this.#oversize}` : said;
    return this.#scrub(stderr && !message.includes(stderr) ? `${message}; server said: ${stderr}` : message);
  }

  #exitReason(): string {
    const said = firstLine(this.#stderr);
    return this.#scrub(
      this.#config.url === undefined
        ? `the server process exited${said ? `: ${said}` : ''}`
        : `the connection closed${this.#oversize ? `: ${this.#oversize}` : ''}`,
    );
  }

  /**
   * A secret of the server's configuration taken out of what it says, in every form the shared
   * rule knows (as written, percent-encoded, JSON-escaped, inside base64: a server echoing its
   * `Authorization: Basic …` header); any length, as the configuration gave it.
   */
  #scrub(text: string): string {
    return redactSecretForms(text, this.#secrets, '[redacted]', 1);
  }

  // ---- calls ----

  /** The live client, waiting up to callWaitMs for a reconnect; undefined when there is none. */
  async #ready(signal: AbortSignal): Promise<Live | undefined> {
    const deadline = Date.now() + this.#callWait;
    while (true) {
      if (this.#state === 'connected' && this.#live) return this.#live;
      if (this.#state === 'failed' || this.#state === 'closed' || signal.aborted) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      // Someone is waiting: try now rather than at the end of a long backoff.
      if (
        this.#state === 'reconnecting' &&
        !this.#attempting &&
        Date.now() - this.#lastAttemptAt >= this.#initialDelay
      ) {
        void this.#attempt_();
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, this.#initialDelay));
        signal.addEventListener('abort', done, { once: true });
        this.#waiters.add(done);
      });
    }
  }
}
