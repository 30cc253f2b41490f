/**
 * What a run's context holds besides the operator's own words: the distinct provenances of its
 * messages (a fetched page, an MCP server's answer, another sender's message), gathered once
 * from the history and then as results arrive, so each tool call is handed the list without a
 * scan of the conversation. Whether a kind is untrusted is the kernel's policy, not this file's.
 */
import { type Message, type Provenance, provenanceKey } from '@oxydra/types';

/** A run holds at most this many distinct sources; past it, new ones are still counted as their kind. */
const MAX_SOURCES = 64;

export class ContextProvenance {
  readonly #keys = new Set<string>();
  readonly #list: Provenance[] = [];

  constructor(
    history: readonly Message[],
    private readonly onNew?: (provenance: Provenance) => void,
  ) {
    for (const message of history) this.add(provenanceOf(message), false);
  }

  /** The distinct provenances so far, oldest first (the same array, grown in place). */
  get list(): readonly Provenance[] {
    return this.#list;
  }

  /** Records a message's provenance; the operator's and Oxydra's own are not recorded. */
  add(provenance: Provenance | undefined, report = true): void {
    if (provenance === undefined || provenance.kind === 'user' || provenance.kind === 'system') return;
    // A page fetched twice, or a hundred MCP calls to one server, is one source.
    const bounded = this.#list.length < MAX_SOURCES ? provenance : { kind: provenance.kind };
    const key = provenanceKey(bounded);
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    this.#list.push(bounded);
    if (report) this.onNew?.(bounded);
  }
}

function provenanceOf(message: Message): Provenance | undefined {
  return message.role === 'tool' || message.role === 'user' ? message.provenance : undefined;
}
