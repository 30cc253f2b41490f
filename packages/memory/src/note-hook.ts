/**
 * The NoteStore's change hook, as every backend calls it: after the commit, one call at a time in
 * commit order (so the search index never sees a delete before its save), and a failing hook
 * never loses the note: its error comes back with the note as `indexError`.
 */
import type { NoteChangeEvent, NoteChangeHook, NoteWriteResult } from '@oxydra/types';

export class NoteChangeNotifier {
  #hook: NoteChangeHook | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(hook?: NoteChangeHook) {
    this.#hook = hook;
  }

  set(hook: NoteChangeHook | undefined): void {
    this.#hook = hook;
  }

  /** Tells the hook of a committed change; resolves to the note, with indexError if it failed. */
  async notify(event: NoteChangeEvent): Promise<NoteWriteResult> {
    const hook = this.#hook;
    if (!hook) return event.note;
    const run = this.#chain.then(() => hook(event));
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
      return event.note;
    } catch (error) {
      return { ...event.note, indexError: error instanceof Error ? error : new Error(String(error)) };
    }
  }
}
