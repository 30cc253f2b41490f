/**
 * The statements the event bus sends on its two connections (bus/link.ts): LISTEN on the
 * listener, the server's encoding and each `pg_notify` on the publisher. Here, with the stores'
 * other SQL, so the bus's transport code (framing, reassembly, reconnecting) holds none.
 */
import type pg from 'pg';

/** `LISTEN "channel"`: the name quoted as an identifier (it holds no `"`, but quote anyway). */
export async function listen(listener: pg.Client, channel: string): Promise<void> {
  await listener.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
}

/** Whether the database takes UTF-8 text as it is (server_encoding UTF8). */
export async function takesUtf8(publisher: pg.Client): Promise<boolean> {
  const encoding = await publisher.query<{ server_encoding: string }>('SHOW server_encoding');
  return encoding.rows[0]?.server_encoding === 'UTF8';
}

/** Sends one payload on the channel, as its own statement (committed alone, delivered at commit). */
export async function notify(publisher: pg.Client, channel: string, payload: string): Promise<void> {
  await publisher.query('SELECT pg_notify($1, $2)', [channel, payload]);
}
