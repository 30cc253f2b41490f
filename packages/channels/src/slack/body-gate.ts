/**
 * In front of Bolt's HTTPReceiver (the Events API): a bound on the request bodies read at once.
 * Bolt must read a request's whole body (up to its 4 MB limit) before it can check the
 * signature, and it read any number at once: anyone who can reach the port could open hundreds
 * of requests with forged headers, send most of each body and hold them, and the process (the
 * gateway, with every channel) grew by 4 MB per request until it ran out of memory. Past
 * MAX_READING bodies in flight a request is answered 503 at once, unread (Slack retries a
 * delivery it could not make), so unverified bodies hold at most MAX_READING x 4 MB.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** Request bodies read at once, at most (Slack's own come a few at a time, each read in milliseconds). */
export const MAX_READING = 16;

export function boundedBodies(listener: RequestListener, max = MAX_READING): RequestListener {
  let reading = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (reading >= max) {
      res.writeHead(503, { 'retry-after': '1', 'content-length': 0, connection: 'close' });
      res.end();
      req.resume();
      return;
    }
    reading += 1;
    let done = false;
    // A body read to its end, a request cut off, or an answer sent: whichever comes first frees it.
    const release = () => {
      if (done) return;
      done = true;
      reading -= 1;
    };
    req.once('end', release);
    req.once('close', release);
    res.once('close', release);
    listener(req, res);
  };
}
