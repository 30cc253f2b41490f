/**
 * The stdio transport stdio MCP servers are started with: the SDK's StdioClientTransport,
 * except that the spawn covers the descriptors Oxydra inherited (sandbox/inherited-fds.ts).
 * The SDK's spawn passes every descriptor open without close-on-exec to the server, and
 * bubblewrap passes them on into the sandbox, where `/proc/self/fd/<n>` leads back out of it.
 *
 * The environment is exactly the one given: the SDK put its defaults (HOME, LOGNAME, SHELL,
 * USER, ... of this process) under it, which a sandboxed server must not learn. The launch plan
 * (stdio-launch.ts) decides it, with those defaults for an unsandboxed server only; with none
 * given, the SDK's defaults are it.
 *
 * Everything else is the SDK's behaviour, kept on purpose: newline-delimited JSON through its
 * ReadBuffer/serializeMessage, the stderr PassThrough available before start, and close as
 * stdin's end, then SIGTERM, then SIGKILL, each after up to 2 s. (No cross-spawn: that only matters on Windows, where stdio
 * servers are not run.)
 */
import { type ChildProcess, type IOType, spawn } from 'node:child_process';
import { PassThrough, type Stream } from 'node:stream';
import { getDefaultEnvironment, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { withInheritedCovered } from '@oxydra/sandbox';

/** How long close() waits for the server after ending its stdin, and again after SIGTERM. */
const CLOSE_STEP_MS = 2000;

type StderrOption = IOType | Stream | number;

export class CoveredStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #params: StdioServerParameters;
  readonly #readBuffer: ReadBuffer;
  /** Given out before start, so no early stderr output is lost. */
  readonly #stderr: PassThrough | undefined;
  #process: ChildProcess | undefined;

  constructor(params: StdioServerParameters) {
    this.#params = params;
    this.#readBuffer = new ReadBuffer({ maxBufferSize: params.maxBufferSize });
    if (params.stderr === 'pipe' || params.stderr === 'overlapped') this.#stderr = new PassThrough();
  }

  async start(): Promise<void> {
    if (this.#process) throw new Error('CoveredStdioTransport already started');
    const stderr: StderrOption = this.#params.stderr ?? 'inherit';
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.#params.command, this.#params.args ?? [], {
        env: this.#params.env ?? getDefaultEnvironment(),
        // Never what this process inherited: the sandbox's way back out.
        stdio: withInheritedCovered<StderrOption>(['pipe', 'pipe', stderr]),
        shell: false,
        ...(this.#params.cwd !== undefined ? { cwd: this.#params.cwd } : {}),
      });
      this.#process = child;
      child.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        if (this.#process === child) this.#process = undefined;
        this.onclose?.();
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.#readBuffer.append(chunk);
          this.#readMessages();
        } catch (error) {
          this.onerror?.(error as Error);
          this.close().catch(() => {});
        }
      });
      child.stdout?.on('error', (error) => this.onerror?.(error));
      if (this.#stderr && child.stderr) child.stderr.pipe(this.#stderr);
    });
  }

  /** The server's stderr: a stream given out before start when it is piped. */
  get stderr(): Stream | null {
    return this.#stderr ?? this.#process?.stderr ?? null;
  }

  /** The process started (bubblewrap when sandboxed), once started. */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  #readMessages(): void {
    while (true) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#readBuffer.readMessage();
      } catch (error) {
        // One bad line: said, and the next one read.
        this.onerror?.(error as Error);
        continue;
      }
      if (message === null) break;
      this.onmessage?.(message);
    }
  }

  async close(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child) {
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      const step = () =>
        Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, CLOSE_STEP_MS).unref())]);
      try {
        child.stdin?.end();
      } catch {
        // Already gone.
      }
      await step();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await step();
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.#readBuffer.clear();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#process?.stdin;
    if (!stdin) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }
}
