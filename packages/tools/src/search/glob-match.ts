/**
 * Gitignore globs matched in O(path × pattern) steps, by simulating the pattern's automaton over
 * the path. A .gitignore in the workspace is model-written text: compiled to a backtracking
 * regex, `*a*a*a*a*a*a*a*a*b` against a 100-character file name takes hours (each `*` retries
 * every split), and the search runs on the event loop.
 *
 * `*` is any run without `/`, `?` one character but `/`, `[...]` a class (`!` negates), `**\/` zero
 * or more folders, any other `**` anything at all, and `\x` the character x.
 */

type Test = (char: string) => boolean;

interface State {
  /** Characters and where they lead. */
  edges: { test: Test; to: number }[];
  /** States reached without reading a character. */
  free: number[];
}

const any: Test = () => true;
const notSlash: Test = (char) => char !== '/';
const isSlash: Test = (char) => char === '/';

/** The class `[body]`'s test (never matching `/`), or undefined when body is no valid class. */
function classTest(body: string): Test | undefined {
  const source = body.replace(/^!/, '^').replace(/\\/g, '\\\\');
  try {
    // One character against one class: no backtracking possible.
    const regex = new RegExp(`^[${source}]$`, 'u');
    return (char) => char !== '/' && regex.test(char);
  } catch {
    return undefined;
  }
}

class Automaton {
  readonly states: State[] = [{ edges: [], free: [] }];

  get last(): number {
    return this.states.length - 1;
  }

  add(): number {
    this.states.push({ edges: [], free: [] });
    return this.last;
  }

  /** One character matching `test`. */
  step(test: Test): void {
    const from = this.last;
    this.states[from]?.edges.push({ test, to: this.add() });
  }

  /** Any number of characters matching `test` (`*`, or `**` with `any`). */
  loop(test: Test): void {
    const from = this.last;
    const to = this.add();
    this.states[from]?.edges.push({ test, to: from });
    this.states[from]?.free.push(to);
  }

  /** `**\/`: nothing, or anything ending with `/`. */
  folders(): void {
    const from = this.last;
    const inside = this.add();
    const to = this.add();
    this.states[from]?.free.push(to);
    this.states[from]?.edges.push({ test: any, to: inside }, { test: isSlash, to });
    this.states[inside]?.edges.push({ test: any, to: inside }, { test: isSlash, to });
  }
}

function build(glob: string, anyFolder: boolean): Automaton {
  const automaton = new Automaton();
  if (anyFolder) automaton.folders();
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? '';
    if (char === '\\' && i + 1 < glob.length) {
      const escaped = glob[++i];
      automaton.step((c) => c === escaped);
    } else if (char === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      if (slashAfter) automaton.folders();
      else automaton.loop(any);
      i += slashAfter ? 2 : 1;
    } else if (char === '*') {
      automaton.loop(notSlash);
    } else if (char === '?') {
      automaton.step(notSlash);
    } else {
      const close = char === '[' ? glob.indexOf(']', i + 2) : -1;
      const test = close === -1 ? undefined : classTest(glob.slice(i + 1, close));
      if (test) {
        automaton.step(test);
        i = close;
      } else {
        automaton.step((c) => c === char);
      }
    }
  }
  return automaton;
}

/** Adds `state` and every state reachable from it without reading, to `set`. */
function close(states: readonly State[], set: Uint8Array, list: number[], state: number): void {
  const pending = [state];
  while (pending.length > 0) {
    const next = pending.pop() as number;
    if (set[next]) continue;
    set[next] = 1;
    list.push(next);
    for (const free of states[next]?.free ?? []) pending.push(free);
  }
}

/**
 * A matcher for the whole path. `anyFolder`: the glob may match after any number of leading
 * folders (a gitignore pattern without a slash matches a name at any depth).
 */
export function globMatcher(glob: string, anyFolder: boolean): (path: string) => boolean {
  const { states, last } = build(glob, anyFolder);
  return (path) => {
    let set = new Uint8Array(states.length);
    let list: number[] = [];
    close(states, set, list, 0);
    for (const char of path) {
      const nextSet = new Uint8Array(states.length);
      const nextList: number[] = [];
      for (const state of list) {
        for (const edge of states[state]?.edges ?? []) {
          if (edge.test(char)) close(states, nextSet, nextList, edge.to);
        }
      }
      if (nextList.length === 0) return false;
      set = nextSet;
      list = nextList;
    }
    return set[last] === 1;
  };
}
