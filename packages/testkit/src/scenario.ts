/**
 * The scenario format: a JSON-serialisable script of replies and faults a mock server plays
 * back, one step per model call. Validated by hand (no schema library) so the testkit ships
 * with no runtime dependency beyond @oxydra/types, and so every problem is reported with the
 * exact key path (`steps[2].reply.toolCalls[0].name: ...`) in one pass.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@oxydra/types';

/** Which request a step answers. Several keys must all hold. */
export interface StepMatch {
  /** 0-based index of the model call, counted over every request to the API endpoint. */
  callIndex?: number;
  /** Substring of the text of the request's last message (a tool result's text counts). */
  lastMessageContains?: string;
  /** Substring of the most recent tool result anywhere in the request. */
  lastToolResultContains?: string;
}

export interface ScenarioToolCall {
  /** Provider call id; a deterministic one (`call_mock_<call>_<i>`, `toolu_mock_...`) by default. */
  id?: string;
  name: string;
  /** An object is sent as compact JSON; a string is sent verbatim (use it for invalid JSON). */
  arguments: Record<string, unknown> | string;
}

export interface ScenarioUsage {
  /** Prompt tokens not read from a cache. */
  input: number;
  /** Generated tokens, reasoning included (Gemini's candidatesTokenCount is sent without it). */
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/**
 * How text is cut into deltas: a count splits into that many near-equal pieces, an array gives
 * the code-point offsets to cut at. Text and reasoning default to one delta per word; tool-call
 * arguments default to one delta.
 */
export type ChunkSpec = number | number[];

export interface ScenarioReply {
  text?: string;
  reasoning?: string;
  /** Anthropic thinking signature / Gemini thoughtSignature / Responses encrypted_content. */
  reasoningSignature?: string;
  /** Several calls are parallel calls in one response. */
  toolCalls?: ScenarioToolCall[];
  textChunks?: ChunkSpec;
  argumentChunks?: ChunkSpec;
  usage?: ScenarioUsage;
  /**
   * `stop`, `tool_calls`, `length`, `content_filter` or `refusal` are translated to each API's
   * own value; any other string is sent as is. Defaults to `tool_calls` when there are tool
   * calls, else `stop`.
   */
  finishReason?: string;
}

/** An HTTP error answer instead of a reply. */
export interface StatusFault {
  status: number;
  /** Seconds, sent as `retry-after` (and as Gemini RetryInfo). */
  retryAfter?: number;
  /** Milliseconds, sent as `retry-after-ms`. */
  retryAfterMs?: number;
  /** With status 400: the provider's real "context too long" error. */
  contextOverflow?: boolean;
  /** With status 400 on openai-responses: the `previous_response_not_found` error. */
  previousResponseNotFound?: boolean;
  /** With status 400 on gemini: Google's answer to a wrong key (400 INVALID_ARGUMENT, reason API_KEY_INVALID). */
  badKey?: boolean;
  /** Replaces the provider-like default message. */
  message?: string;
}

/** An error sent inside an otherwise successful stream (Anthropic `event: error`, Responses `error` + `response.failed`...). */
export interface InStreamError {
  /** Events sent before the error (default 1). */
  afterEvents?: number;
  /** Picks the error kind as a status would (default 529 on Anthropic, 500 elsewhere). */
  status?: number;
  contextOverflow?: boolean;
  message?: string;
}

/** Disturbs the step's reply (or fixture) stream. */
export interface StreamFault {
  /** Destroy the socket after this many SSE events (0: right after the headers). */
  cutAfterEvents?: number;
  /** Truncate one event's JSON (by default the second event). */
  malformedChunk?: true | { atEvent: number };
  /** Pause between events. */
  slowChunksMs?: number;
  streamError?: InStreamError;
}

export type ScenarioFault = StatusFault | StreamFault;

export interface ScenarioStep {
  match?: StepMatch;
  /** How many calls this step answers (default 1); `"always"` never runs out. */
  times?: number | 'always';
  reply?: ScenarioReply;
  /** A recorded `*.chunks.txt` or `*.json` to replay instead of a reply. */
  fixture?: string;
  fault?: ScenarioFault;
}

export interface Scenario {
  steps: ScenarioStep[];
  /** openai-responses: answer a `previous_response_id` this server did not issue with a 400 `previous_response_not_found`. */
  rejectUnknownPreviousResponseId?: boolean;
}

/** A scenario that does not validate. `issues` lists every problem, each prefixed with its key path. */
export class ScenarioError extends ConfigError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], source?: string) {
    const where = source ? ` ${source}` : '';
    super(`invalid scenario${where}: ${issues.join('; ')}`, source ? { source } : {});
    this.issues = issues;
  }
}

export function isStatusFault(fault: ScenarioFault): fault is StatusFault {
  return 'status' in fault && typeof fault.status === 'number';
}

type Json = Record<string, unknown>;

/** Collects problems with their key paths so all of them are reported at once. */
class Checker {
  readonly issues: string[] = [];

  problem(path: string, message: string): void {
    this.issues.push(`${path}: ${message}`);
  }

  object(value: unknown, path: string, known: readonly string[]): Json | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problem(path, `expected an object, got ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key))
        this.problem(`${path}.${key}`, `unknown key (expected one of ${known.join(', ')})`);
    }
    return value as Json;
  }

  string(obj: Json, key: string, path: string, options: { nonEmpty?: boolean } = {}): void {
    const value = obj[key];
    if (value === undefined) return;
    if (typeof value !== 'string')
      this.problem(`${path}.${key}`, `expected a string, got ${describe(value)}`);
    else if (options.nonEmpty && value === '') this.problem(`${path}.${key}`, 'expected a non-empty string');
  }

  integer(obj: Json, key: string, path: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
    const value = obj[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
      this.problem(`${path}.${key}`, `expected an integer ${range}, got ${describe(value)}`);
    }
  }

  nonNegative(obj: Json, key: string, path: string): void {
    const value = obj[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.problem(`${path}.${key}`, `expected a number >= 0, got ${describe(value)}`);
    }
  }

  boolean(obj: Json, key: string, path: string): void {
    const value = obj[key];
    if (value !== undefined && typeof value !== 'boolean') {
      this.problem(`${path}.${key}`, `expected true or false, got ${describe(value)}`);
    }
  }

  chunkSpec(obj: Json, key: string, path: string): void {
    const value = obj[key];
    if (value === undefined) return;
    if (typeof value === 'number') {
      this.integer(obj, key, path, 1);
      return;
    }
    const valid =
      Array.isArray(value) &&
      value.every(
        (n, i) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && (i === 0 || n > value[i - 1]),
      );
    if (!valid) {
      this.problem(
        `${path}.${key}`,
        `expected a number of chunks >= 1 or an ascending array of offsets, got ${describe(value)}`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const STEP_KEYS = ['match', 'times', 'reply', 'fixture', 'fault'] as const;
const MATCH_KEYS = ['callIndex', 'lastMessageContains', 'lastToolResultContains'] as const;
const REPLY_KEYS = [
  'text',
  'reasoning',
  'reasoningSignature',
  'toolCalls',
  'textChunks',
  'argumentChunks',
  'usage',
  'finishReason',
] as const;
const TOOL_CALL_KEYS = ['id', 'name', 'arguments'] as const;
const USAGE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;
const STATUS_FAULT_KEYS = [
  'status',
  'retryAfter',
  'retryAfterMs',
  'contextOverflow',
  'previousResponseNotFound',
  'badKey',
  'message',
] as const;
const STREAM_FAULT_KEYS = ['cutAfterEvents', 'malformedChunk', 'slowChunksMs', 'streamError'] as const;
const STREAM_ERROR_KEYS = ['afterEvents', 'status', 'contextOverflow', 'message'] as const;

function checkMatch(c: Checker, value: unknown, path: string): void {
  const match = c.object(value, path, MATCH_KEYS);
  if (!match) return;
  if (Object.keys(match).length === 0) c.problem(path, `expected at least one of ${MATCH_KEYS.join(', ')}`);
  c.integer(match, 'callIndex', path, 0);
  c.string(match, 'lastMessageContains', path, { nonEmpty: true });
  c.string(match, 'lastToolResultContains', path, { nonEmpty: true });
}

function checkReply(c: Checker, value: unknown, path: string): void {
  const reply = c.object(value, path, REPLY_KEYS);
  if (!reply) return;
  c.string(reply, 'text', path);
  c.string(reply, 'reasoning', path);
  c.string(reply, 'reasoningSignature', path, { nonEmpty: true });
  c.string(reply, 'finishReason', path, { nonEmpty: true });
  c.chunkSpec(reply, 'textChunks', path);
  c.chunkSpec(reply, 'argumentChunks', path);
  if (reply.toolCalls !== undefined) {
    if (!Array.isArray(reply.toolCalls)) {
      c.problem(`${path}.toolCalls`, `expected an array, got ${describe(reply.toolCalls)}`);
    } else {
      reply.toolCalls.forEach((call, i) => {
        const callPath = `${path}.toolCalls[${i}]`;
        const obj = c.object(call, callPath, TOOL_CALL_KEYS);
        if (!obj) return;
        if (obj.name === undefined) c.problem(`${callPath}.name`, 'required');
        c.string(obj, 'name', callPath, { nonEmpty: true });
        c.string(obj, 'id', callPath, { nonEmpty: true });
        const args = obj.arguments;
        const isObject = typeof args === 'object' && args !== null && !Array.isArray(args);
        if (args === undefined) c.problem(`${callPath}.arguments`, 'required (use {} for no arguments)');
        else if (!isObject && typeof args !== 'string') {
          c.problem(`${callPath}.arguments`, `expected an object or a JSON string, got ${describe(args)}`);
        }
      });
    }
  }
  if (reply.usage !== undefined) {
    const usagePath = `${path}.usage`;
    const usage = c.object(reply.usage, usagePath, USAGE_KEYS);
    if (usage) {
      for (const key of ['input', 'output'] as const) {
        if (usage[key] === undefined) c.problem(`${usagePath}.${key}`, 'required');
      }
      for (const key of USAGE_KEYS) c.integer(usage, key, usagePath, 0);
    }
  }
}

function checkFault(c: Checker, value: unknown, path: string, hasAnswer: boolean): void {
  if (typeof value === 'object' && value !== null && 'status' in value) {
    const fault = c.object(value, path, STATUS_FAULT_KEYS);
    if (!fault) return;
    c.integer(fault, 'status', path, 400, 599);
    c.nonNegative(fault, 'retryAfter', path);
    c.integer(fault, 'retryAfterMs', path, 0);
    c.boolean(fault, 'contextOverflow', path);
    c.boolean(fault, 'previousResponseNotFound', path);
    c.boolean(fault, 'badKey', path);
    c.string(fault, 'message', path, { nonEmpty: true });
    for (const flag of ['contextOverflow', 'previousResponseNotFound', 'badKey'] as const) {
      if (fault[flag] === true && fault.status !== 400) c.problem(`${path}.${flag}`, 'needs status 400');
    }
    if (hasAnswer) c.problem(path, 'a status fault replaces the answer: remove reply/fixture from this step');
    return;
  }
  const fault = c.object(value, path, [...STREAM_FAULT_KEYS, ...STATUS_FAULT_KEYS]);
  if (!fault) return;
  for (const key of STATUS_FAULT_KEYS) {
    if (key in fault) c.problem(`${path}.${key}`, 'only applies with status (an HTTP error fault)');
  }
  if (Object.keys(fault).length === 0) {
    c.problem(path, `expected status or one of ${STREAM_FAULT_KEYS.join(', ')}`);
  }
  c.integer(fault, 'cutAfterEvents', path, 0);
  c.integer(fault, 'slowChunksMs', path, 0);
  const malformed = fault.malformedChunk;
  if (
    malformed !== undefined &&
    malformed !== true &&
    (typeof malformed !== 'object' || malformed === null)
  ) {
    c.problem(`${path}.malformedChunk`, `expected true or { "atEvent": n }, got ${describe(malformed)}`);
  } else if (malformed !== undefined && malformed !== true) {
    const obj = c.object(malformed, `${path}.malformedChunk`, ['atEvent']);
    if (obj) {
      if (obj.atEvent === undefined) c.problem(`${path}.malformedChunk.atEvent`, 'required (or use true)');
      c.integer(obj, 'atEvent', `${path}.malformedChunk`, 0);
    }
  }
  if (fault.streamError !== undefined) {
    const errPath = `${path}.streamError`;
    const err = c.object(fault.streamError, errPath, STREAM_ERROR_KEYS);
    if (err) {
      c.integer(err, 'afterEvents', errPath, 0);
      c.integer(err, 'status', errPath, 400, 599);
      c.boolean(err, 'contextOverflow', errPath);
      c.string(err, 'message', errPath, { nonEmpty: true });
    }
  }
}

function checkStep(c: Checker, value: unknown, path: string): void {
  const step = c.object(value, path, STEP_KEYS);
  if (!step) return;
  if (step.match !== undefined) checkMatch(c, step.match, `${path}.match`);
  if (step.times !== undefined && step.times !== 'always') c.integer(step, 'times', path, 1);
  if (step.reply !== undefined) checkReply(c, step.reply, `${path}.reply`);
  c.string(step, 'fixture', path, { nonEmpty: true });
  if (step.reply !== undefined && step.fixture !== undefined) {
    c.problem(path, 'has both reply and fixture; keep one');
  }
  const hasAnswer = step.reply !== undefined || step.fixture !== undefined;
  if (step.fault !== undefined) checkFault(c, step.fault, `${path}.fault`, hasAnswer);
  else if (!hasAnswer) c.problem(path, 'needs a reply, a fixture or a fault');
}

/**
 * Validate a parsed scenario (an object with `steps`, or a bare array of steps) and return it
 * typed. Throws a ScenarioError listing every problem.
 */
export function parseScenario(value: unknown, source?: string): Scenario {
  const c = new Checker();
  const input = Array.isArray(value) ? { steps: value } : value;
  const scenario = c.object(input, 'scenario', ['steps', 'rejectUnknownPreviousResponseId']);
  if (scenario) {
    if (!Array.isArray(scenario.steps)) {
      c.problem('scenario.steps', `expected an array of steps, got ${describe(scenario.steps)}`);
    } else {
      scenario.steps.forEach((step, i) => {
        checkStep(c, step, `steps[${i}]`);
      });
    }
    c.boolean(scenario, 'rejectUnknownPreviousResponseId', 'scenario');
  }
  if (c.issues.length > 0) throw new ScenarioError(c.issues, source);
  return input as Scenario;
}

/**
 * Read and validate a scenario file. Relative `fixture` paths in its steps are resolved against
 * the file's folder, so a scenario and its recordings can move together.
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(`cannot read scenario ${path}: ${reason}`, { source: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`scenario ${path} is not valid JSON: ${(error as Error).message}`, {
      source: path,
    });
  }
  const scenario = parseScenario(json, path);
  const base = dirname(resolve(path));
  return {
    ...scenario,
    steps: scenario.steps.map((step) =>
      step.fixture !== undefined && !isAbsolute(step.fixture)
        ? { ...step, fixture: resolve(base, step.fixture) }
        : step,
    ),
  };
}
