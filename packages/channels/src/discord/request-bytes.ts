/**
 * Discord's REST requests with a multipart body sent as bytes. @discordjs/rest builds a file
 * upload as a FormData (Node's global) and hands it to undici 6's `request`, which sends it
 * through the process's global dispatcher. Slack's socket mode loads undici 7, whose Agent
 * becomes that global dispatcher when it is loaded before any other undici; undici 7 encodes only
 * FormData of its own class, so every Discord upload then failed ("action is not a function")
 * in a process that also ran Slack, or in a test process that had loaded Bolt first. Bytes (and
 * the boundary's content-type) are read the same by every undici.
 */
import { DefaultRestOptions, type RESTOptions } from 'discord.js';

export const requestWithBytes: RESTOptions['makeRequest'] = async (url, init) => {
  if (!(init.body instanceof FormData)) return DefaultRestOptions.makeRequest(url, init);
  // Node's own fetch Response encodes it: no dispatcher is involved.
  const encoded = new Response(init.body);
  return DefaultRestOptions.makeRequest(url, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data',
    },
    body: new Uint8Array(await encoded.arrayBuffer()),
  });
};
