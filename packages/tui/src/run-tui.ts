/**
 * runTui: connect to the gateway first (so a missing gateway or a refused token is a plain error
 * before any screen is drawn), then draw the Ink app until the user quits, then disconnect.
 */

import type { GatewayClientOptions } from '@oxydra/gateway-client';
import { shortSessionId } from '@oxydra/types';
import { newTuiClient } from './client/tui-client.js';
import { loadScreen } from './load-screen.js';
import { TuiController } from './view/controller.js';
import { ViewStore } from './view/store.js';

export interface TuiOptions {
  /** ws://host:port/ws of the gateway. */
  url: string;
  token: string;
  userId?: string;
  /** Resume this session; without it the gateway starts a new one. */
  sessionId?: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Timings of the gateway client (tests shorten them). */
  client?: Pick<GatewayClientOptions, 'helloTimeoutMs' | 'healthIntervalMs' | 'requestTimeoutMs' | 'backoff'>;
}

export interface TuiResult {
  /** The session the TUI was in when it quit, to resume it with --session. */
  sessionId: string | undefined;
  /** Ctrl+C quit it (not /exit, Ctrl+D or a signal): `oxydra tui` then exits 130. */
  interrupted: boolean;
}

/** Run the terminal UI; throws GatewayConnectError when the first connection fails. */
export async function runTui(options: TuiOptions): Promise<TuiResult> {
  const client = newTuiClient({
    url: options.url,
    token: options.token,
    ...(options.userId ? { userId: options.userId } : {}),
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    ...options.client,
  });
  const store = new ViewStore();
  client.subscribe(store.dispatch);
  const ack = await client.connect();
  store.dispatch({
    kind: 'note',
    text: `connected to ${options.url} · session ${shortSessionId(ack.session.session_id)} · /help lists commands and keys`,
  });

  let quit: () => void = () => {};
  let interrupted = false;
  const controller = new TuiController({
    client,
    store,
    exit: (how) => {
      interrupted = how === 'interrupted';
      quit();
    },
  });
  const { drawApp } = await loadScreen(options.stdout ?? process.stdout);
  const instance = drawApp(store, controller, options);
  quit = () => instance.unmount();
  // A closed terminal or a kill ends the app the same way /exit does, restoring the terminal.
  const onSignal = () => quit();
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    await client.close();
  }
  return { sessionId: client.session?.session_id, interrupted };
}
