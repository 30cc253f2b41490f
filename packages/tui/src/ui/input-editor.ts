/**
 * The multi-line prompt editor as a pure function of (state, key): Enter submits, Alt+Enter
 * (ESC CR, which most terminals send for it) or Ctrl+J (LF) inserts a newline, Up/Down move
 * between lines and recall earlier prompts from the first/last line. A bracketed paste reaches
 * the editor with its line breaks as LF (bracketed-paste.ts), which only ever inserts; an
 * unbracketed one arrives as typed, see the rule on a chunk ending in CR below.
 *
 * Terminals without the kitty keyboard protocol send the same byte for Backspace and Delete
 * (0x7f), and Ink reports both alike, so both delete the character before the cursor.
 */

/** The fields of Ink's `Key` this editor reads (structurally compatible with it). */
export interface EditorKey {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  meta: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  pageUp: boolean;
  pageDown: boolean;
}

export interface EditorState {
  text: string;
  /** Index into `text` (UTF-16 units, always on a code point boundary). */
  cursor: number;
  /** Earlier submitted prompts, oldest first. */
  history: readonly string[];
  /** Position while browsing history; history.length means "the draft". */
  historyIndex: number;
  /** What was typed before browsing history started. */
  draft: string;
}

export type EditorOutcome =
  | { kind: 'edit'; state: EditorState }
  | { kind: 'submit'; text: string }
  /** Ctrl+D on an empty prompt. */
  | { kind: 'eof' }
  | { kind: 'ignored' };

const HISTORY_LIMIT = 200;

export function emptyEditor(history: readonly string[] = []): EditorState {
  return { text: '', cursor: 0, history, historyIndex: history.length, draft: '' };
}

/** The editor after a prompt was accepted: empty, with the prompt at the end of the history. */
export function afterSubmit(state: EditorState, submitted: string): EditorState {
  const history =
    state.history[state.history.length - 1] === submitted ? state.history : [...state.history, submitted];
  return emptyEditor(history.slice(-HISTORY_LIMIT));
}

export function editorKey(state: EditorState, input: string, key: EditorKey): EditorOutcome {
  if (key.return) {
    if (key.meta || key.shift) return edit(insert(state, '\n'));
    return { kind: 'submit', text: state.text };
  }
  if (key.ctrl) return ctrlKey(state, input);
  if (key.backspace || key.delete) return edit(deleteBefore(state));
  if (key.leftArrow) return edit(moveTo(state, previousBoundary(state.text, state.cursor)));
  if (key.rightArrow) return edit(moveTo(state, nextBoundary(state.text, state.cursor)));
  if (key.upArrow) return edit(verticalMove(state, -1));
  if (key.downArrow) return edit(verticalMove(state, 1));
  if (key.home) return edit(moveTo(state, lineStart(state.text, state.cursor)));
  if (key.end) return edit(moveTo(state, lineEnd(state.text, state.cursor)));
  if (key.tab) return edit(insert(state, '  '));
  if (key.escape || key.pageUp || key.pageDown) return { kind: 'ignored' };
  if (key.meta && input.length === 1) return { kind: 'ignored' }; // Alt+letter: no binding
  if (input === '\n') return edit(insert(state, '\n')); // Ctrl+J
  // Text and the Enter after it can arrive in one read (a paste followed at once by Enter, tmux
  // send-keys, a fast typist over ssh): a lone carriage return at the end of the chunk is that
  // Enter, so the prompt is sent. Line breaks inside the chunk stay line breaks.
  if (input.length > 1 && input.endsWith('\r')) {
    const typed = insert(state, cleanInput(input.slice(0, -1)));
    return { kind: 'submit', text: typed.text };
  }
  const text = cleanInput(input);
  return text === '' ? { kind: 'ignored' } : edit(insert(state, text));
}

function ctrlKey(state: EditorState, input: string): EditorOutcome {
  const { text, cursor } = state;
  switch (input) {
    case 'a':
      return edit(moveTo(state, lineStart(text, cursor)));
    case 'e':
      return edit(moveTo(state, lineEnd(text, cursor)));
    case 'u': {
      const start = lineStart(text, cursor);
      return edit(replace(state, start, cursor, ''));
    }
    case 'k':
      return edit(replace(state, cursor, lineEnd(text, cursor), ''));
    case 'w': {
      let start = cursor;
      while (start > 0 && /\s/.test(text[start - 1]!)) start--;
      while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
      return edit(replace(state, start, cursor, ''));
    }
    case 'j':
      return edit(insert(state, '\n'));
    case 'd':
      return text === '' ? { kind: 'eof' } : { kind: 'ignored' };
    default:
      return { kind: 'ignored' };
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const ESCAPE_SEQUENCE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_EXCEPT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f]/g;

/** Printable text only: paste line breaks become newlines, tabs spaces, other controls dropped. */
function cleanInput(input: string): string {
  return input
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(ESCAPE_SEQUENCE, '') // stray escape sequences (focus reports, ...)
    .replace(CONTROL_EXCEPT_NEWLINE, '');
}

function edit(state: EditorState): EditorOutcome {
  return { kind: 'edit', state };
}

function insert(state: EditorState, text: string): EditorState {
  return replace(state, state.cursor, state.cursor, text);
}

function replace(state: EditorState, from: number, to: number, text: string): EditorState {
  return {
    ...state,
    text: state.text.slice(0, from) + text + state.text.slice(to),
    cursor: from + text.length,
    historyIndex: state.history.length,
  };
}

function deleteBefore(state: EditorState): EditorState {
  if (state.cursor === 0) return state;
  return replace(state, previousBoundary(state.text, state.cursor), state.cursor, '');
}

function moveTo(state: EditorState, cursor: number): EditorState {
  return { ...state, cursor };
}

function verticalMove(state: EditorState, direction: -1 | 1): EditorState {
  const { text, cursor } = state;
  const start = lineStart(text, cursor);
  const column = cursor - start;
  if (direction === -1) {
    if (start === 0) return recall(state, -1);
    const previousStart = lineStart(text, start - 1);
    return moveTo(state, Math.min(previousStart + column, start - 1));
  }
  const end = lineEnd(text, cursor);
  if (end === text.length) return recall(state, 1);
  const nextEnd = lineEnd(text, end + 1);
  return moveTo(state, Math.min(end + 1 + column, nextEnd));
}

/** Step through earlier prompts; stepping past the newest returns to the draft. */
function recall(state: EditorState, direction: -1 | 1): EditorState {
  const index = state.historyIndex + direction;
  if (index < 0 || index > state.history.length) return state;
  const draft = state.historyIndex === state.history.length ? state.text : state.draft;
  const text = index === state.history.length ? draft : state.history[index]!;
  return { ...state, text, cursor: text.length, historyIndex: index, draft };
}

function lineStart(text: string, cursor: number): number {
  return text.lastIndexOf('\n', cursor - 1) + 1;
}

function lineEnd(text: string, cursor: number): number {
  const end = text.indexOf('\n', cursor);
  return end === -1 ? text.length : end;
}

function previousBoundary(text: string, cursor: number): number {
  if (cursor <= 0) return 0;
  const code = text.charCodeAt(cursor - 1);
  return code >= 0xdc00 && code <= 0xdfff && cursor >= 2 ? cursor - 2 : cursor - 1;
}

function nextBoundary(text: string, cursor: number): number {
  if (cursor >= text.length) return text.length;
  const code = text.charCodeAt(cursor);
  return code >= 0xd800 && code <= 0xdbff && cursor + 1 < text.length ? cursor + 2 : cursor + 1;
}
