/**
 * `oxydra mock-llm`: run a mock LLM server from a scenario file until SIGINT/SIGTERM, so an
 * agent (or the real `oxydra` binary) can be pointed at it by hand or from an end-to-end test.
 * The CLI package imports this lazily; arguments are parsed with node:util so the testkit
 * needs no CLI library.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@oxydra/types';
import type { LineEndingOption } from './fixtures.js';
import { loadScenarioFile, type Scenario } from './scenario.js';
import { startMockLLM } from './server.js';
import { MOCK_APIS, type MockApi } from './wire/index.js';

const USAGE = `usage: oxydra mock-llm --api ${MOCK_APIS.join('|')} --scenario FILE [--fixture FILE] [--port N] [--host HOST] [--line-ending lf|crlf]`;

export interface MockLlmCliIo {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Stops the server like SIGINT does (for embedding and tests). */
  signal?: AbortSignal;
}

class CliUsage extends Error {}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

interface CliOptions {
  api: MockApi;
  scenario?: string;
  fixture?: string;
  port: number;
  host?: string;
  lineEnding?: LineEndingOption;
}

function parse(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      api: { type: 'string' },
      scenario: { type: 'string' },
      fixture: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'line-ending': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const api = values.api as MockApi | undefined;
  if (api === undefined) throw new CliUsage('--api is required');
  if (!MOCK_APIS.includes(api)) throw new CliUsage(`unknown --api ${api} (expected ${MOCK_APIS.join(', ')})`);
  if (values.scenario === undefined && values.fixture === undefined) {
    throw new CliUsage('--scenario FILE (or --fixture FILE) is required');
  }
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsage(`--port must be an integer from 0 to 65535, got ${values.port}`);
  }
  const lineEnding = values['line-ending'];
  if (lineEnding !== undefined && lineEnding !== 'lf' && lineEnding !== 'crlf') {
    throw new CliUsage(`--line-ending must be lf or crlf, got ${lineEnding}`);
  }
  return {
    api,
    scenario: values.scenario,
    fixture: values.fixture === undefined ? undefined : resolve(values.fixture),
    port,
    host: values.host,
    lineEnding,
  };
}

/** Resolves with how the server was stopped: Ctrl+C (SIGINT), SIGTERM, or the caller's signal. */
function waitForStop(signal: AbortSignal | undefined): Promise<'SIGINT' | 'other'> {
  return new Promise((resolveStop) => {
    const stop = (how: 'SIGINT' | 'other') => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onOther);
      signal?.removeEventListener('abort', onOther);
      resolveStop(how);
    };
    const onInt = () => stop('SIGINT');
    const onOther = () => stop('other');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onOther);
    if (signal?.aborted) onOther();
    else signal?.addEventListener('abort', onOther, { once: true });
  });
}

/**
 * Run `oxydra mock-llm` with the arguments after the command name. Returns the exit code:
 * 0 after a clean stop (130 after Ctrl+C), 2 for a usage mistake or a bad scenario/fixture file, 1 when the
 * server cannot start (port in use...). Errors are one line on stderr.
 */
export async function runMockLlmCli(argv: string[], io: MockLlmCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const fail = (message: string, code: number) => {
    stderr.write(`oxydra mock-llm: ${oneLine(message)}\n`);
    return code;
  };

  let options: CliOptions | 'help';
  try {
    options = parse(argv);
  } catch (error) {
    return fail(`${(error as Error).message}\n(${USAGE})`, 2);
  }
  if (options === 'help') {
    stdout.write(`${USAGE}\n`);
    return 0;
  }

  let scenario: Scenario | undefined;
  if (options.scenario !== undefined) {
    try {
      scenario = await loadScenarioFile(options.scenario);
    } catch (error) {
      return fail((error as Error).message, 2);
    }
  }

  let mock: Awaited<ReturnType<typeof startMockLLM>>;
  try {
    mock = await startMockLLM({
      api: options.api,
      scenario,
      fixture: options.fixture,
      port: options.port,
      host: options.host,
      lineEnding: options.lineEnding,
    });
  } catch (error) {
    return fail((error as Error).message, error instanceof ConfigError ? 2 : 1);
  }
  stdout.write(`mock-llm (${options.api}) listening on ${mock.url}\n`);
  const stoppedBy = await waitForStop(io.signal);
  await mock.close();
  // Ctrl+C ends with 130, as every `oxydra` command does (the shell's code for SIGINT).
  return stoppedBy === 'SIGINT' ? 130 : 0;
}
