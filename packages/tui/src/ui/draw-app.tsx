/** Draws the Ink app on the terminal streams; the only module of the TUI that loads Ink's renderer. */
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
