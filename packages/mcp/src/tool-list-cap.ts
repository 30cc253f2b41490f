/**
 * A Transport in front of the real one that cuts every `tools/list` answer to at most `keep`
 * tools before the SDK parses it. The SDK checks each listed tool against its schema and
 * remembers each outputSchema: for a server listing 20,000 tools in one page that is most of
 * the cost of a connection. Cut to max_tools + 1, the source still sees that the server lists
 * too many (and refuses it) without anyone handling the rest.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

type Id = string | number;

export class ToolListCap implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly #inner: Transport;
  readonly #keep: number;
  /** Ids of tools/list requests sent and not yet answered. */
  readonly #listing = new Set<Id>();

  constructor(inner: Transport, keep: number) {
    this.#inner = inner;
    this.#keep = keep;
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.onmessage?.(this.#cut(message), extra);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && message.method === 'tools/list' && 'id' in message)
      this.#listing.add(message.id);
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #cut<T extends JSONRPCMessage>(message: T): T {
    if (!('id' in message) || message.id === undefined || !this.#listing.delete(message.id as Id))
      return message;
    const result = (message as { result?: { tools?: unknown } }).result;
    if (result && Array.isArray(result.tools) && result.tools.length > this.#keep) {
      result.tools.length = this.#keep;
    }
    return message;
  }
}
