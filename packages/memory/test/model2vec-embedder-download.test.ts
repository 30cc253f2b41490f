/**
 * The model2vec embedder downloading its model (from a stand-in for the Hugging Face hub, serving
 * model2vec-helpers.ts's tiny model): a repo id or a folder URL, with progress, into the cache
 * and then from it; a 404 or a refused connection explained with the offline fix; a truncated
 * download never left looking complete; a damaged cached file told apart. From a local folder:
 * model2vec-embedder-local.test.ts.
 */
import { readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OxydraError } from '@oxydra/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModel2VecEmbedder, type DownloadProgress } from '../src/embedders/model2vec/index.js';
import {
  expected,
  expectVector,
  type ModelFiles,
  modelFiles,
  removeTempDirsAfterAll,
  tempDir,
} from './model2vec-helpers.js';

removeTempDirsAfterAll();

// ---------------------------------------------------------------------------------------------

interface HubServer {
  url: string;
  requests: string[];
  /** Per request path: reply with only this many bytes of the file, then cut the connection. */
  truncate: Map<string, number>;
  close(): Promise<void>;
}

/** Serves `files` under every folder in `folders`, as the hub serves /<id>/resolve/main/<file>. */
async function startHub(folders: string[], files: ModelFiles): Promise<HubServer> {
  const requests: string[] = [];
  const truncate = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const folder = folders.find((prefix) => path.startsWith(`${prefix}/`));
    const body = folder === undefined ? undefined : files[path.slice(folder.length + 1) as keyof ModelFiles];
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    const cut = truncate.get(path);
    if (cut === undefined) {
      response.end(body);
      return;
    }
    response.write(body.subarray(0, cut), () => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    truncate,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('model2vec download', () => {
  const files = modelFiles();
  const REPO = 'test-org/tiny-model';
  let hub: HubServer;
  const savedEnv = { base: process.env.OXYDRA_HF_BASE_URL, xdg: process.env.XDG_CACHE_HOME };

  beforeAll(async () => {
    hub = await startHub([`/${REPO}/resolve/main`, '/plain/folder'], files);
  });
  afterAll(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.truncate.clear();
    for (const [key, value] of [
      ['OXYDRA_HF_BASE_URL', savedEnv.base],
      ['XDG_CACHE_HOME', savedEnv.xdg],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('downloads a repo id from OXYDRA_HF_BASE_URL with progress, then serves it from the cache', async () => {
    process.env.OXYDRA_HF_BASE_URL = `${hub.url}/`;
    const cacheDir = join(await tempDir(), 'tiny');
    const progress: DownloadProgress[] = [];
    // What a crash mid-download would leave: checked while each file is still arriving.
    const visibleMidway: string[][] = [];
    const before = hub.requests.length;
    const embedder = await createModel2VecEmbedder({
      model: REPO,
      cacheDir,
      onProgress: (p) => {
        progress.push(p);
        if (p.received < (p.total ?? 0))
          visibleMidway.push(readdirSync(cacheDir).filter((name) => name === p.file));
      },
    });
    expect(visibleMidway.length).toBeGreaterThanOrEqual(3);
    expect(visibleMidway.flat()).toEqual([]);

    expect(embedder.modelId).toBe(`model2vec:${REPO}`);
    expect(hub.requests.slice(before)).toEqual(
      ['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `/${REPO}/resolve/main/${file}`),
    );
    for (const [file, bytes] of Object.entries(files)) {
      expect(await readFile(join(cacheDir, file))).toEqual(bytes);
      const events = progress.filter((p) => p.file === file);
      expect(events[0]).toEqual({ file, received: 0, total: bytes.length });
      expect(events.at(-1)).toEqual({ file, received: bytes.length, total: bytes.length });
    }
    expect((await readdir(cacheDir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expectVector((await embedder.embed(['the cat']))[0], expected(['the', 'cat']));

    const afterFirst = hub.requests.length;
    const again: DownloadProgress[] = [];
    const cached = await createModel2VecEmbedder({ model: REPO, cacheDir, onProgress: (p) => again.push(p) });
    expect(hub.requests.length).toBe(afterFirst);
    expect(again).toEqual([]);
    expect(cached.modelId).toBe(embedder.modelId);
    expectVector((await cached.embed(['the cat']))[0], expected(['the', 'cat']));
  });

  it('defaults the cache to $XDG_CACHE_HOME/oxydra/models/<sanitised id>', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const xdg = await tempDir();
    process.env.XDG_CACHE_HOME = xdg;
    await createModel2VecEmbedder({ model: REPO });
    expect((await readdir(join(xdg, 'oxydra', 'models', 'test-org--tiny-model'))).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
  });

  it('downloads from a folder URL, through the fetch it is given', async () => {
    const cacheDir = await tempDir();
    const fetched: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    };
    const embedder = await createModel2VecEmbedder({
      model: `${hub.url}/plain/folder/`,
      cacheDir,
      fetch: counting,
    });
    expect(embedder.modelId).toBe(`model2vec:${hub.url}/plain/folder`);
    expect(fetched).toEqual(
      ['config.json', 'tokenizer.json', 'model.safetensors'].map((file) => `${hub.url}/plain/folder/${file}`),
    );
    expectVector((await embedder.embed(['big red house']))[0], expected(['big', 'red', 'house']));
  });

  it('explains a 404: the model, the URL, the status and the offline fix', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const cacheDir = join(await tempDir(), 'missing');
    const error = await createModel2VecEmbedder({ model: 'test-org/missing', cacheDir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toBe(
      `cannot download test-org/missing: GET ${hub.url}/test-org/missing/resolve/main/config.json failed: HTTP 404 Not Found; ` +
        `use memory.embedding_backend = "deterministic" offline, or put the model files (config.json, tokenizer.json, model.safetensors) in ${cacheDir}`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('explains a refused connection', async () => {
    const dead = await startHub([], files);
    await dead.close();
    process.env.OXYDRA_HF_BASE_URL = dead.url;
    const cacheDir = await tempDir();
    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    const message = (error as Error).message;
    expect(message).toContain(
      `cannot download ${REPO}: GET ${dead.url}/${REPO}/resolve/main/config.json failed:`,
    );
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain(
      `use memory.embedding_backend = "deterministic" offline, or put the model files`,
    );
    expect(message).toContain(cacheDir);
  });

  it('never leaves a truncated download looking complete, and retries it next time', async () => {
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const cacheDir = await tempDir();
    // A leftover partial file from an earlier crash must not count as the model.
    await writeFile(
      join(cacheDir, 'model.safetensors.999-deadbeef.part'),
      files['model.safetensors'].subarray(0, 10),
    );
    const weightsPath = `/${REPO}/resolve/main/model.safetensors`;
    hub.truncate.set(weightsPath, 100);

    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OxydraError);
    expect((error as Error).message).toContain(
      `cannot download ${REPO}: GET ${hub.url}${weightsPath} failed:`,
    );
    expect((await readdir(cacheDir)).sort()).toEqual([
      'config.json',
      'model.safetensors.999-deadbeef.part',
      'tokenizer.json',
    ]);

    hub.truncate.clear();
    const before = hub.requests.length;
    const embedder = await createModel2VecEmbedder({ model: REPO, cacheDir });
    expect(hub.requests.slice(before)).toEqual([weightsPath]);
    expect(await readFile(join(cacheDir, 'model.safetensors'))).toEqual(files['model.safetensors']);
    expectVector((await embedder.embed(['the sky']))[0], expected(['the', 'sky']));
  });

  it('rejects a body shorter than its Content-Length even when the stream ends cleanly', async () => {
    const cacheDir = await tempDir();
    const short: typeof fetch = async (input) => {
      const bytes = files[String(input).split('/').pop() as keyof ModelFiles];
      return new Response(bytes.subarray(0, 5), { headers: { 'content-length': String(bytes.length) } });
    };
    const error = await createModel2VecEmbedder({
      model: `${hub.url}/plain/folder`,
      cacheDir,
      fetch: short,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `GET ${hub.url}/plain/folder/config.json failed: truncated: received 5 of ${files['config.json'].length} bytes`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it("stops a download that goes on past the file's cap, keeping nothing of it", async () => {
    const cacheDir = await tempDir();
    const endless: typeof fetch = async () => {
      const chunk = new Uint8Array(64 * 1024);
      return new Response(new ReadableStream({ pull: (controller) => controller.enqueue(chunk) }));
    };
    const error = await createModel2VecEmbedder({
      model: `${hub.url}/plain/folder`,
      cacheDir,
      fetch: endless,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `GET ${hub.url}/plain/folder/config.json failed: more than 1048576 bytes`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('tells a damaged cached file apart and says how to refetch', async () => {
    const cacheDir = await tempDir();
    await mkdir(cacheDir, { recursive: true });
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(cacheDir, file), bytes);
    await writeFile(join(cacheDir, 'model.safetensors'), Buffer.from('<html>rate limited</html>'));
    process.env.OXYDRA_HF_BASE_URL = hub.url;
    const error = await createModel2VecEmbedder({ model: REPO, cacheDir }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /cannot load model2vec model test-org\/tiny-model: .*not a valid safetensors file/,
    );
    expect((error as Error).message).toMatch(new RegExp(`; delete ${cacheDir} to download it again$`));
  });
});
