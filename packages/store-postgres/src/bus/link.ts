/**
 * A bus's two connections to PostgreSQL, opened and lost together. The listener LISTENs on the
 * channel and does nothing else (a connection that runs queries delivers notifications only
 * between them). The publisher sends every NOTIFY of this bus: NOTIFYs from different
 * connections are not ordered, so one publisher's messages keep their order only on one
 * connection. It runs in pg's pipeline mode: each `pg_notify` is its own statement, sent in
 * order without waiting for the one before (each still commits alone), so publishing costs no
 * round trip per message, and with synchronous_commit off, so no wait for the WAL to reach disk
 * either: a NOTIFY is delivered at commit and nothing of it is kept, so there is nothing a
 * flush would make safer. Losing either connection loses the link; the bus opens a new one.
 * The statements themselves are the store's (store/bus-link.ts).
 */
import pg from 'pg';
import { listen, notify, takesUtf8 } from '../store/bus-link.js';

export interface Link {
  /** Sends one payload on the channel (queued behind the ones before, in order). */
  notify(payload: string): Promise<void>;
  /** The database takes UTF-8 text as it is (server_encoding UTF8). */
  readonly textBodies: boolean;
  /** Ends both connections (bounded: a dead socket does not hold it up). */
  end(): Promise<void>;
}

export interface LinkEvents {
  notification(payload: string): void;
  /** Called once, when either connection errs or ends and `end()` was not called. */
  lost(error: unknown): void;
}

const CONNECT_TIMEOUT_MS = 10_000;
const END_WAIT_MS = 1000;

function client(url: string, role: 'listener' | 'publisher'): pg.Client {
  return new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: `oxydra bus ${role}`,
    ...(role === 'publisher' ? { pipeline: true, options: '-c synchronous_commit=off' } : {}),
  });
}

async function endBounded(clients: pg.Client[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, END_WAIT_MS);
    timer.unref();
  });
  await Promise.race([Promise.all(clients.map((c) => c.end().catch(() => {}))), waited]);
  clearTimeout(timer);
  // A connection whose server stopped answering never says goodbye: close its socket anyway.
  for (const c of clients) c.connection.stream.destroy();
}

/** Connects both, LISTENs, and reads the server's encoding; rejects (both ended) when any step fails. */
export async function openLink(url: string, channel: string, events: LinkEvents): Promise<Link> {
  const listener = client(url, 'listener');
  const publisher = client(url, 'publisher');
  let ending = false;
  let opened = false;
  let lost = false;
  const onLost = (error: unknown) => {
    if (ending || lost) return;
    lost = true;
    if (opened) events.lost(error); // while opening, the open itself fails instead
  };
  for (const c of [listener, publisher]) {
    c.on('error', onLost);
    c.on('end', () => onLost(new Error('Connection terminated unexpectedly')));
  }
  listener.on('notification', (message) => {
    if (message.channel === channel) events.notification(message.payload ?? '');
  });
  const end = () => {
    ending = true;
    return endBounded([listener, publisher]);
  };
  try {
    await Promise.all([listener.connect(), publisher.connect()]);
    await listen(listener, channel);
    const textBodies = await takesUtf8(publisher);
    if (lost) throw new Error('Connection terminated unexpectedly');
    opened = true;
    return {
      textBodies,
      notify: (payload) => notify(publisher, channel, payload),
      end,
    };
  } catch (error) {
    await end();
    throw error;
  }
}
