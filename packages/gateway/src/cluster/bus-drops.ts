/**
 * Everything this gateway process drops from the deployment bus, said in the log: a message
 * that is not JSON or not its topic's shape, a session frame or live feed event inside a good
 * message that is malformed, and a frame, feed event or control message of a type this process
 * does not know (a newer gateway's during a rolling deploy: said apart, as it is no attack and
 * no bug). Each kind has its own rate-limited line (drop-log.ts). A line says the topic, the
 * type when it looks like one of ours (`shownName`, else "unknown"), why, and the size in
 * bytes; never the text, which may hold a user's words or a secret, and may be megabytes.
 */

import { DropLog } from '../drop-log.js';
import type { GatewayLogger } from '../types.js';
import type { Unread } from './messages.js';
import { shownFrameType, shownName } from './relayed-frame.js';

export class BusDrops {
  readonly #unread: DropLog;
  readonly #frame: DropLog;
  readonly #feed: DropLog;
  readonly #unknown: DropLog;

  constructor(log: GatewayLogger, everyMs?: number) {
    this.#unread = new DropLog(log, 'dropped a malformed message from the deployment bus', everyMs);
    this.#frame = new DropLog(log, 'dropped a malformed session frame from the deployment bus', everyMs);
    this.#feed = new DropLog(log, 'dropped a malformed live feed event from the deployment bus', everyMs);
    this.#unknown = new DropLog(
      log,
      'dropped an unknown frame type from the deployment bus (a newer gateway process sent it?)',
      everyMs,
    );
  }

  /** A message of `topic` not read: `text` is what came. */
  message(topic: string, text: string, unread: Unread): void {
    const bytes = Buffer.byteLength(text);
    if (unread.why === 'unknown type') this.#unknown.drop({ topic, type: shownName(unread.type), bytes });
    else this.#unread.drop({ topic, why: unread.why, bytes });
  }

  /** A session message's frame not sent on: `frame` is its text. */
  frame(frame: string, unread: Unread): void {
    const bytes = Buffer.byteLength(frame);
    if (unread.why === 'unknown type')
      this.#unknown.drop({ topic: 'session', type: shownName(unread.type), bytes });
    else this.#frame.drop({ type: shownFrameType(frame), why: unread.why, bytes });
  }

  /** A live feed event named `name` not sent on; `bytes`: its message's size. */
  feedEvent(name: string, bytes: number, unread: Unread): void {
    if (unread.why === 'unknown type') this.#unknown.drop({ topic: 'feed', type: shownName(name), bytes });
    else this.#feed.drop({ name: shownName(name), bytes });
  }

  /** At a stop: the counts still to say. */
  flush(): void {
    for (const log of [this.#unread, this.#frame, this.#feed, this.#unknown]) log.flush();
  }
}
