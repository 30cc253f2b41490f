/**
 * The mock LLM HTTP server (node:http only). It records every request, asks the scenario which
 * step answers, and writes the answer through the API's wire module: an error envelope, an SSE
 * stream, a JSON body or a fixture replay, with the step's faults applied.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@oxydra/types';
import { MockEmbeddings } from './embeddings.js';
import { disturbEvents, retryHeaders, streamErrorSpec, truncatePayload, writeOptions } from './faults.js';
import { type FixtureReplay, lineEndingFor, loadFixture } from './fixtures.js';
import { readBody } from './http-body.js';
import { modelListing } from './models.js';
import { planReply } from './plan.js';
import { isStatusFault, parseScenario, type Scenario, type StreamFault } from './scenario.js';
import { frameEvent, type LineEnding, pause, type SseEvent, writeFrames } from './sse.js';
import { StepScript } from './steps.js';
import type { MockLLM, MockLLMOptions, RecordedRequest } from './types.js';
import { MOCK_APIS, type MockWire, WIRES } from './wire/index.js';
import { isObject } from './wire/text.js';
import type { CallContext, ErrorSpec, JsonObject, WireError } from './wire/types.js';

const SSE_TYPE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** What a call is answered with, before faults. */
type Answer = { kind: 'events'; events: SseEvent[] } | { kind: 'json'; status: number; json: string };

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJsonObject(raw: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function sendError(res: ServerResponse, error: WireError, extra: Record<string, string> = {}): void {
  res.writeHead(error.status, { 'content-type': JSON_TYPE, ...error.headers, ...extra });
  res.end(error.json);
}

/** The API key a request carries, in whichever header its API sends it. */
function sentKey(request: RecordedRequest): string | undefined {
  const { authorization, 'x-api-key': anthropic, 'x-goog-api-key': gemini } = request.headers;
  return authorization?.replace(/^Bearer /, '') ?? anthropic ?? gemini;
}

/** A JSON body as frames, so the cut and slow faults apply to it as to a stream. */
function jsonFrames(json: string, fault: StreamFault | undefined): string[] {
  const body = fault?.malformedChunk ? truncatePayload(json) : json;
  if (fault?.cutAfterEvents === undefined) return [body];
  const half = Math.floor(body.length / 2);
  return [body.slice(0, half), body.slice(half)];
}

/** Gemini's streamGenerateContent without alt=sse: one JSON array, one element per chunk. */
function jsonArrayFrames(events: SseEvent[]): string[] {
  if (events.length === 0) return ['[]'];
  return events.map(
    (event, i) => `${i === 0 ? '[' : ',\r\n'}${event.data}${i === events.length - 1 ? ']' : ''}`,
  );
}

class MockServer {
  readonly requests: RecordedRequest[] = [];
  private calls = 0;
  private readonly issuedResponseIds = new Set<string>();
  private readonly script: StepScript;
  private readonly embeddings: MockEmbeddings;
  private readonly eol: LineEnding;
  private readonly models: readonly string[] | undefined;
  private readonly modelsKey: string | undefined;

  constructor(
    private readonly wire: MockWire,
    private readonly scenario: Scenario | undefined,
    private readonly fixtures: ReadonlyMap<string, FixtureReplay>,
    private readonly defaultFixture: string | undefined,
    options: MockLLMOptions,
  ) {
    this.script = new StepScript(scenario?.steps ?? []);
    this.embeddings = new MockEmbeddings(wire, scenario?.steps ?? []);
    this.eol = lineEndingFor(wire.api, options.lineEnding);
    this.models = options.models;
    this.modelsKey = options.modelsKey;
  }

  reset(): void {
    this.requests.length = 0;
    this.calls = 0;
    this.issuedResponseIds.clear();
    this.script.reset();
    this.embeddings.reset();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const body = parseJsonObject(raw);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: headerRecord(req),
      body,
      raw,
    };
    this.requests.push(record);

    // Embedding endpoints beside the chat API: answered from the input text, not a step.
    const embedding = this.embeddings.route(record.method, url);
    if (embedding) {
      const reply = this.embeddings.reply(embedding, body);
      res.writeHead(reply.status, { 'content-type': JSON_TYPE, ...reply.headers });
      res.end(reply.json);
      return;
    }

    const models = modelListing(this.wire.api, record.method, url.pathname, this.models);
    if (models !== undefined && this.modelsKey !== undefined && sentKey(record) !== this.modelsKey) {
      const refusal = this.wire.listingRefusal?.(sentKey(record) !== undefined) ?? {
        status: 401,
        message: 'invalid or missing API key',
      };
      sendError(res, this.wire.error(refusal, undefined));
      return;
    }
    if (models !== undefined) {
      res.writeHead(200, { 'content-type': JSON_TYPE });
      res.end(models);
      return;
    }

    const route = this.wire.route(record.method, url);
    if (!route) {
      const message = `Invalid URL (${record.method} ${url.pathname}): this mock-llm speaks ${this.wire.api}`;
      sendError(res, this.wire.error({ status: 404, message }, undefined));
      return;
    }
    if (!body) {
      const message = 'We could not parse the JSON body of your request (mock-llm expects a JSON object).';
      sendError(res, this.wire.error({ status: 400, message }, undefined));
      return;
    }

    const callIndex = this.calls++;
    record.callIndex = callIndex;
    const ctx: CallContext = {
      callIndex,
      model: route.model ?? (typeof body.model === 'string' ? body.model : 'mock-model'),
      body,
      mode: this.wire.mode(route, body),
    };

    const previous = this.wire.previousResponseId?.(body);
    if (this.scenario?.rejectUnknownPreviousResponseId && previous && !this.issuedResponseIds.has(previous)) {
      sendError(res, this.wire.error({ status: 400, previousResponseNotFound: true }, ctx));
      return;
    }

    const view = this.wire.view(body, callIndex);
    const selected = this.script.next(view);
    if (!selected) {
      if (this.defaultFixture !== undefined) {
        await this.send(res, this.fixtureAnswer(this.defaultFixture), undefined, ctx);
        return;
      }
      // Readable test failures: say which call found no step, and what it was about. SDKs
      // honour x-should-retry, so the message is not buried under retries.
      const last = view.lastMessage === undefined ? 'none' : JSON.stringify(shorten(view.lastMessage));
      const message = `mock-llm: no scenario step answers call #${callIndex} (${this.script.size} steps, all used or not matching; last message: ${last})`;
      sendError(res, this.wire.error({ status: 500, message }, ctx), { 'x-should-retry': 'false' });
      return;
    }

    const { step } = selected;
    if (step.fault && isStatusFault(step.fault)) {
      const spec: ErrorSpec = step.fault;
      sendError(res, this.wire.error(spec, ctx), retryHeaders(spec));
      return;
    }
    const fault = step.fault as StreamFault | undefined;
    let answer: Answer;
    if (step.fixture !== undefined) {
      answer = this.fixtureAnswer(step.fixture);
    } else {
      const plan = planReply(step.reply ?? {});
      answer =
        ctx.mode === 'json'
          ? { kind: 'json', status: 200, json: JSON.stringify(this.wire.body(plan, ctx)) }
          : { kind: 'events', events: this.wire.events(plan, ctx) };
      const id = this.wire.responseId?.(ctx);
      if (id !== undefined) this.issuedResponseIds.add(id);
    }
    await this.send(res, answer, fault, ctx);
  }

  private fixtureAnswer(path: string): Answer {
    const replay = this.fixtures.get(path);
    if (!replay) throw new Error(`fixture not loaded: ${path}`);
    return replay.kind === 'json' ? replay : { kind: 'events', events: replay.events };
  }

  private async send(
    res: ServerResponse,
    answer: Answer,
    fault: StreamFault | undefined,
    ctx: CallContext,
  ): Promise<void> {
    const timing = writeOptions(fault);
    if (answer.kind === 'json') {
      // A non-streaming call cannot fail mid-stream: an in-stream error becomes an HTTP error.
      if (fault?.streamError) {
        sendError(res, this.wire.error(streamErrorSpec(fault.streamError, this.wire), ctx));
        return;
      }
      // A slow non-streaming answer is late as a whole, headers included, as a busy server is.
      if (timing.slowChunksMs) await pause(res, timing.slowChunksMs);
      if (res.destroyed) return;
      res.writeHead(answer.status, { 'content-type': JSON_TYPE });
      await writeFrames(res, jsonFrames(answer.json, fault), timing);
      return;
    }
    const events = disturbEvents(answer.events, fault, this.wire, ctx);
    if (ctx.mode === 'json-array') {
      res.writeHead(200, { 'content-type': JSON_TYPE });
      await writeFrames(res, jsonArrayFrames(events), timing);
      return;
    }
    res.writeHead(200, { 'content-type': SSE_TYPE, 'cache-control': 'no-cache' });
    await writeFrames(
      res,
      events.map((event) => frameEvent(event, this.eol)),
      timing,
    );
  }
}

async function preloadFixtures(
  paths: readonly string[],
  wire: MockWire,
  options: MockLLMOptions,
): Promise<Map<string, FixtureReplay>> {
  const loaded = new Map<string, FixtureReplay>();
  for (const path of new Set(paths)) {
    try {
      loaded.set(path, await loadFixture(path, wire, options.lineEnding));
    } catch (error) {
      throw new ConfigError(
        `cannot load fixture ${path}: ${(error as Error).message}`,
        { source: path },
        {
          cause: error,
        },
      );
    }
  }
  return loaded;
}

/**
 * Start a mock LLM server on 127.0.0.1 speaking one provider API. Resolves once it listens;
 * rejects on an unknown api, an invalid scenario or an unreadable fixture.
 */
export async function startMockLLM(options: MockLLMOptions): Promise<MockLLM> {
  if (!MOCK_APIS.includes(options.api)) {
    throw new Error(
      `mock-llm: unknown api ${JSON.stringify(options.api)} (expected ${MOCK_APIS.join(', ')})`,
    );
  }
  const wire = WIRES[options.api];
  const scenario = options.scenario === undefined ? undefined : parseScenario(options.scenario);
  const stepFixtures = (scenario?.steps ?? []).flatMap((step) => (step.fixture ? [step.fixture] : []));
  const fixtures = await preloadFixtures(
    options.fixture === undefined ? stepFixtures : [...stepFixtures, options.fixture],
    wire,
    options,
  );
  const mock = new MockServer(wire, scenario, fixtures, options.fixture, options);

  const server = createServer((req, res) => {
    // A client that disconnects mid-answer must never crash the server or the test run.
    req.on('error', () => {});
    res.on('error', () => {});
    mock.handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(
        res,
        wire.error(
          { status: 500, message: `mock-llm internal error: ${(error as Error).message}` },
          undefined,
        ),
      );
    });
  });
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    api: options.api,
    url: `${origin}${wire.basePath}`,
    port,
    requests: mock.requests,
    reset: () => mock.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error ? reject(error) : resolve()));
        // Streams in progress (slow ones included) are dropped rather than awaited.
        server.closeAllConnections();
      }),
  };
}
