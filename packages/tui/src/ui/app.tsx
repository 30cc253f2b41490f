/** The Ink app: history, the prompt and the status bar, wired to the controller's actions. */

import { visibleControls } from '@oxydra/types';
import { Box, useInput } from 'ink';
import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import type { TuiController } from '../view/controller.js';
import { isBusy, type ViewState } from '../view/state.js';
import type { ViewStore } from '../view/store.js';
import { History } from './history.js';
import { InputBox } from './input-box.js';
import { afterSubmit, type EditorState, editorKey, emptyEditor } from './input-editor.js';
import { StatusBar } from './status-bar.js';

export interface AppProps {
  store: ViewStore;
  controller: TuiController;
}

export function App({ store, controller }: AppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  // Keys can arrive faster than React re-renders: the ref is the truth, the state redraws.
  const editorRef = useRef<EditorState>(emptyEditor());
  const [editor, setEditor] = useState(editorRef.current);
  const update = useCallback((next: EditorState) => {
    editorRef.current = next;
    setEditor(next);
  }, []);

  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      controller.interrupt();
      return;
    }
    const outcome = editorKey(editorRef.current, input, key);
    switch (outcome.kind) {
      case 'edit':
        update(outcome.state);
        return;
      case 'submit': {
        const text = outcome.text.trimEnd();
        if (controller.submit(text)) update(afterSubmit(editorRef.current, text));
        return;
      }
      case 'eof':
        controller.submit('/exit');
        return;
      case 'ignored':
        return;
    }
  });

  return (
    <Box flexDirection="column">
      <History entries={state.entries} turn={state.turn} />
      <InputBox
        editor={editor}
        title={titleFor(state)}
        busy={isBusy(state)}
        connected={state.connection.state === 'connected'}
      />
      <StatusBar state={state} />
    </Box>
  );
}

function titleFor(state: ViewState): string {
  const [question] = state.approvals;
  if (question)
    return `Allow ${question.tool}: ${visibleControls(question.summary)}? [y/n] (Enter answers, Ctrl+C denies)`;
  if (state.connection.state === 'reconnecting')
    return `connection lost (${state.connection.reason}); retrying in ${(state.connection.delayMs / 1000).toFixed(1)} s`;
  if (state.turn?.progress) return state.turn.progress;
  if (isBusy(state)) return 'waiting for the agent...';
  return 'prompt · Enter sends · Alt+Enter or Ctrl+J newline';
}
