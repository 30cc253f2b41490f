/**
 * The answer of a run is the text of every model call in it, in order, with a paragraph break
 * between calls that said something: "Let me look." then "Hello" is "Let me look.\n\nHello".
 * The break is also streamed, as a text_delta of its own before the later call's first text, so
 * whoever joins the streamed text (SSE, WebSocket deltas, `oxydra run > answer.md`) gets exactly
 * the final answer. Keeping only the last call would make the stream disagree with the answer
 * unless every call's text were held back until it is known to be the last.
 */
import { flatString, type StreamEvent } from '@oxydra/types';

export const CALL_SEPARATOR = '\n\n';

export class AnswerText {
  #text = '';
  #callHasText = false;

  /** A new model call begins: its first text, if any, is set apart from what came before. */
  startCall(): void {
    this.#callHasText = false;
  }

  /** Wraps `emit` so text deltas are recorded and separated; other events pass unchanged. */
  wrap(emit: (event: StreamEvent) => void): (event: StreamEvent) => void {
    return (event) => {
      if (event.type === 'text_delta' && event.text !== '') {
        if (!this.#callHasText && this.#text !== '') {
          this.#text += CALL_SEPARATOR;
          emit({ type: 'text_delta', text: CALL_SEPARATOR });
        }
        this.#callHasText = true;
        this.#text += event.text;
      }
      emit(event);
    };
  }

  /** Everything streamed so far: the final answer once the run has ended. */
  get text(): string {
    this.#text = flatString(this.#text);
    return this.#text;
  }
}
