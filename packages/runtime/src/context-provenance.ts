/**
 * What a run's context holds besides the operator's own words: the distinct provenances of its
 * messages (a fetched page, an MCP server's answer, another sender's message), gathered from the
 * history and then as results arrive, so each tool call is handed the list without a scan of
 * the conversation. Whether a kind is untrusted is the kernel's policy, not this module's.
 *
 * The last fold is kept per conversation with the messages it covered: a run whose history
 * begins with those same objects (as the kernel's held history does) folds only what is new, where
 * a scan of the whole cost ~1 ms a turn after 2,000 tool-call turns. Same list, same order.
 *
 * A run holds at most MAX_SOURCES distinct sources; past it, new ones are still counted as their kind.
 */
import { type Message, type Provenance, provenanceKey } from '@oxydra/types';

const MAX_SOURCES = 64;

/** The fold of a history's provenances, oldest first, as a scan from its first message gives it. */
interface Sources {
  keys: Set<string>;
  list: Provenance[];
}

/** A history's fold, with the messages it was made over (a copy: the caller's array may change). */
interface Fold {
  over: readonly Message[];
  sources: Sources;
}

/**
 * The last history folded, per conversation: keyed by its first message, one fold each (the
 * previous turn's is replaced, so a long session holds one copy of its message list, not one per turn).
 */
const folds = new WeakMap<Message, Fold>();

/** Adds a provenance to a fold; the added one when it is new. The operator's and Oxydra's own are not recorded. */
function addTo(sources: Sources, provenance: Provenance | undefined): Provenance | undefined {
  if (provenance === undefined || provenance.kind === 'user' || provenance.kind === 'system') return;
  // A page fetched twice, or a hundred MCP calls to one server, is one source.
  const bounded = sources.list.length < MAX_SOURCES ? provenance : { kind: provenance.kind };
  const key = provenanceKey(bounded);
  if (sources.keys.has(key)) return;
  sources.keys.add(key);
  sources.list.push(bounded);
  return bounded;
}

function provenanceOf(message: Message): Provenance | undefined {
  return message.role === 'tool' || message.role === 'user' ? message.provenance : undefined;
}

const copy = (sources: Sources): Sources => ({ keys: new Set(sources.keys), list: [...sources.list] });

/** Whether `history` begins with the very messages (the same objects) `over` holds. */
function startsWith(history: readonly Message[], over: readonly Message[]): boolean {
  if (over.length > history.length) return false;
  for (let i = 0; i < over.length; i++) if (history[i] !== over[i]) return false;
  return true;
}

/**
 * The fold of `history`'s provenances (a copy for the run to grow): the last one kept for its
 * conversation, continued over the messages added since, when `history` still begins with the
 * messages it was made over; else a scan of the whole. Kept in turn for the next run.
 */
function foldOf(history: readonly Message[]): Sources {
  const first = history[0];
  if (first === undefined) return { keys: new Set(), list: [] };
  const kept = folds.get(first);
  // Same objects, compared one by one: a pointer compare each, not a key built and looked up.
  const from = kept !== undefined && startsWith(history, kept.over) ? kept : undefined;
  const sources = from ? copy(from.sources) : { keys: new Set<string>(), list: [] };
  for (let i = from ? from.over.length : 0; i < history.length; i++)
    addTo(sources, provenanceOf(history[i]!));
  folds.set(first, { over: history.slice(), sources: copy(sources) });
  return sources;
}

export class ContextProvenance {
  /** The run's sources: the history's, then whatever else its context takes in. */
  readonly #sources: Sources;

  constructor(
    history: readonly Message[],
    private readonly onNew?: (provenance: Provenance) => void,
  ) {
    this.#sources = foldOf(history);
  }

  /** The distinct provenances so far, oldest first (the same array, grown in place). */
  get list(): readonly Provenance[] {
    return this.#sources.list;
  }

  /** Records a provenance (a result's, a recalled text's, an inherited one); reported when new. */
  add(provenance: Provenance | undefined): void {
    const added = addTo(this.#sources, provenance);
    if (added) this.onNew?.(added);
  }
}
