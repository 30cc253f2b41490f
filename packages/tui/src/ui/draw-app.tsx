/**
 * Draws the Ink app on the terminal streams. It and the components it imports are the only
 * modules of the TUI that load Ink; load-screen.ts imports it when the screen is drawn. A
 * terminal's input goes through the bracketed-paste decoder (paste-input.ts).
 */
import { render } from 'ink';
import type { TuiController } from '../view/controller.js';
import type { ViewStore } from '../view/store.js';
import { App } from './app.js';
import { bracketedPasteInput } from './paste-input.js';

export interface Streams {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export function drawApp(store: ViewStore, controller: TuiController, streams: Streams) {
  const stdin = streams.stdin ?? process.stdin;
  const stdout = streams.stdout ?? process.stdout;
  const paste = stdin.isTTY && stdout.isTTY ? bracketedPasteInput(stdin, stdout) : undefined;
  const instance = render(<App store={store} controller={controller} />, {
    exitOnCtrlC: false,
    stdin: paste?.stdin ?? stdin,
    stdout,
    ...(streams.stderr ? { stderr: streams.stderr } : {}),
  });
  if (paste) instance.waitUntilExit().then(paste.close, paste.close);
  return instance;
}
