/** The prompt editor: sending, newlines, editing keys, history recall, pastes. */
import { describe, expect, it } from 'vitest';
import {
  afterSubmit,
  type EditorKey,
  type EditorOutcome,
  type EditorState,
  editorKey,
  emptyEditor,
} from '../src/ui/input-editor.js';

const NO_KEY: EditorKey = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  meta: false,
  tab: false,
  backspace: false,
  delete: false,
  pageUp: false,
  pageDown: false,
};

type Press = string | [string, Partial<EditorKey>];

/** Apply key presses (as Ink reports them) and return the final editor state. */
function type(state: EditorState, ...presses: Press[]): EditorState {
  return presses.reduce((current, press) => {
    const [input, key] = typeof press === 'string' ? [press, {}] : press;
    const outcome = editorKey(current, input, { ...NO_KEY, ...key });
    return outcome.kind === 'edit' ? outcome.state : current;
  }, state);
}

function press(state: EditorState, input: string, key: Partial<EditorKey> = {}): EditorOutcome {
  return editorKey(state, input, { ...NO_KEY, ...key });
}

const ENTER: Press = ['\r', { return: true }];
const ALT_ENTER: Press = ['\r', { return: true, meta: true }];
const CTRL_J: Press = '\n';
const BACKSPACE: Press = ['', { delete: true }];
const LEFT: Press = ['', { leftArrow: true }];
const UP: Press = ['', { upArrow: true }];
const DOWN: Press = ['', { downArrow: true }];

describe('prompt editor', () => {
  it('submits the text on Enter', () => {
    const state = type(emptyEditor(), 'h', 'i');
    expect(press(state, '\r', { return: true })).toEqual({ kind: 'submit', text: 'hi' });
  });

  it('sends a prompt pasted or typed together with its Enter (one read ending in a carriage return)', () => {
    const state = type(emptyEditor(), 'a', 's', 'k', ' ');
    expect(press(state, 'what changed?\r', {})).toEqual({ kind: 'submit', text: 'ask what changed?' });
    // A multi-line paste and its Enter: the inner line breaks stay, the last return sends.
    expect(press(emptyEditor(), 'line one\rline two\r', {})).toEqual({
      kind: 'submit',
      text: 'line one\nline two',
    });
  });

  it('inserts a newline on Alt+Enter and on Ctrl+J', () => {
    const state = type(emptyEditor(), 'a', ALT_ENTER, 'b', CTRL_J, 'c');
    expect(state.text).toBe('a\nb\nc');
    expect(press(state, ...(ENTER as [string, Partial<EditorKey>]))).toEqual({
      kind: 'submit',
      text: 'a\nb\nc',
    });
  });

  it('edits at the cursor: arrows, backspace (and Delete, the same byte), Ctrl+U/K/W/A/E', () => {
    let state = type(emptyEditor(), 'a', 'b', 'c', LEFT, BACKSPACE);
    expect(state).toMatchObject({ text: 'ac', cursor: 1 });
    state = type(state, 'X');
    expect(state).toMatchObject({ text: 'aXc', cursor: 2 });
    state = type(state, ['u', { ctrl: true }]);
    expect(state).toMatchObject({ text: 'c', cursor: 0 });
    state = type(state, ['e', { ctrl: true }], ' two words');
    expect(state.text).toBe('c two words');
    state = type(state, ['w', { ctrl: true }]);
    expect(state.text).toBe('c two ');
    state = type(state, ['a', { ctrl: true }], ['k', { ctrl: true }]);
    expect(state).toMatchObject({ text: '', cursor: 0 });
  });

  it('moves between lines with Up/Down inside a multi-line prompt', () => {
    let state = type(emptyEditor(), 'l', 'i', 'n', 'e', '1', CTRL_J, 'x', 'y');
    state = type(state, UP);
    expect(state.cursor).toBe(2); // same column on line 1
    state = type(state, DOWN);
    expect(state.cursor).toBe(8);
  });

  it('recalls earlier prompts with Up and returns to the draft with Down', () => {
    let state = afterSubmit(afterSubmit(emptyEditor(), 'first'), 'second');
    state = type(state, 'dr', 'aft');
    state = type(state, UP);
    expect(state.text).toBe('second');
    state = type(state, UP, UP);
    expect(state.text).toBe('first');
    state = type(state, DOWN, DOWN);
    expect(state.text).toBe('draft');
  });

  it('keeps the line breaks of a paste instead of sending it', () => {
    const state = type(emptyEditor(), 'line one\r\nline two\rline\tthree');
    expect(state.text).toBe('line one\nline two\nline  three');
  });

  it('drops control bytes and escape sequences from input', () => {
    const state = type(emptyEditor(), 'a\x07b\x1b[Ic');
    expect(state.text).toBe('abc');
  });

  it('reports Ctrl+D on an empty prompt as end of input, and ignores it otherwise', () => {
    expect(press(emptyEditor(), 'd', { ctrl: true })).toEqual({ kind: 'eof' });
    expect(press(type(emptyEditor(), 'x'), 'd', { ctrl: true })).toEqual({ kind: 'ignored' });
  });

  it('steps over surrogate pairs as one character', () => {
    const state = type(emptyEditor(), 'a😀', LEFT);
    expect(state.cursor).toBe(1);
    expect(type(state, ['', { rightArrow: true }], BACKSPACE).text).toBe('a');
  });
});
