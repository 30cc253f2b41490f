/**
 * Taking a message's files (take-files.ts) from a real adapter on a real socket: a platform whose
 * file download sends its headers and a first byte, then nothing more, does not hold the
 * conversation forever; the file is refused after the download's time bound, with no token in
 * what the person or the log is told.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, expect, it } from 'vitest';
import { takeFiles } from '../src/take-files.js';
import { TelegramChannel } from '../src/telegram/adapter.js';

const TOKEN = '123456:stalled-download-token';
let server: Server | undefined;
let scratch: TempWorkspace;
let dir: string | undefined;
const stalled: ServerResponse[] = [];
afterEach(() => {
  for (const res of stalled.splice(0)) res.destroy();
  server?.closeAllConnections();
  server?.close();
  if (dir) scratch.cleanup();
  server = dir = undefined;
});

it('refuses a file whose download stalls, after the time bound, instead of waiting forever', async () => {
  server = createServer((req, res) => {
    if (req.url?.endsWith('/getFile')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result: { file_id: 'f', file_path: 'documents/a.pdf' } }));
      return;
    }
    // Headers and one byte, then nothing, never ending.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write('%');
    stalled.push(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const telegram = new TelegramChannel({
    name: 'telegram',
    token: TOKEN,
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pollingTimeoutSecs: 1,
    maxMessageLength: 4096,
  });
  scratch = tempWorkspace({ prefix: 'oxydra-take-files-' });
  dir = scratch.dir;
  const log: string[] = [];
  const taken = await takeFiles(
    {
      seq: 1,
      text: 'read this',
      attachments: [{ id: 'f', kind: 'document', fileName: 'a.pdf', mimeType: 'application/pdf' }],
    } as never,
    {
      channel: telegram,
      workspace: dir,
      maxFileBytes: undefined,
      signal: new AbortController().signal,
      log: (line) => log.push(line),
      downloadTimeoutMs: 300,
    },
  );
  await telegram.close();
  expect(taken).toEqual({ refusal: '"a.pdf" was not taken: it took too long to download; send it again.' });
  expect(log.join('\n')).not.toContain(TOKEN);
});

it('refuses a file whose adapter ignores the signal and never answers (an IMAP download that stalls)', async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-take-files-' });
  dir = scratch.dir;
  const deaf = {
    name: 'email',
    capabilities: { edit: false, maxMessageLength: 4096, minEditIntervalMs: 0, files: true },
    fetchAttachment: () => new Promise<Uint8Array>(() => {}),
  };
  const taken = await takeFiles(
    { seq: 1, text: '', attachments: [{ id: '1:2:3', kind: 'document', fileName: 'b.pdf' }] } as never,
    {
      channel: deaf as never,
      workspace: dir,
      maxFileBytes: undefined,
      signal: new AbortController().signal,
      log: () => {},
      downloadTimeoutMs: 300,
    },
  );
  expect(taken).toEqual({ refusal: '"b.pdf" was not taken: it took too long to download; send it again.' });
});
