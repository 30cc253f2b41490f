/**
 * Draws the Ink app on the terminal streams. It and the components it imports are the only
 * modules of the TUI that load Ink; load-screen.ts imports it when the screen is drawn.
 */
import { render } from 'ink';
import type { TuiController } from '../view/controller.js';
import type { ViewStore } from '../view/store.js';
import { App } from './app.js';

export interface Streams {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export function drawApp(store: ViewStore, controller: TuiController, streams: Streams) {
  return render(<App store={store} controller={controller} />, {
    exitOnCtrlC: false,
    ...(streams.stdin ? { stdin: streams.stdin } : {}),
    ...(streams.stdout ? { stdout: streams.stdout } : {}),
    ...(streams.stderr ? { stderr: streams.stderr } : {}),
  });
}
