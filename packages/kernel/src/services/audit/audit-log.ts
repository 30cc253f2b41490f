/**
 * The kernel's audit service: turns what happens (tool calls and their outcomes, approval and
 * egress decisions, agents spawned and exited, access denials, budget stops, restores, config
 * changes) into chain entries, and records the chain's head outside the chain (the head file,
 * each session, each run outcome) so a removed tail is detected.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionStore } from '@oxydra/memory';
import type { EgressDecision } from '@oxydra/sandbox';
import { type ApprovalRecord, redactLiterals } from '@oxydra/tools';
import type { ControlStoreGroup, ControlStores, Provenance, StreamEvent, TurnEndWrites } from '@oxydra/types';
import { readSmallFile, WRITTEN_BY_ME } from '@oxydra/types/fs';
import type { KernelDb } from '../../store/kernel-db.js';
import { WorkspaceIdentity } from '../../store/kernel-db.js';
import { asyncControlStores } from '../../store/libsql/async-view.js';
import type { LifecycleEvent } from '../../types.js';
import { AuditChain, type AuditHead } from './chain.js';
import { type AuditEntry, EntryHasher } from './entry.js';
import type { AuditAnchor } from './verify.js';

/** The session state key holding the chain head when the session's last turn ended. */
/** How an entry is committed: now (default, awaited) or with the others of this tick (`grouped`). */
export interface AppendOptions {
  grouped?: boolean;
}
type Grouped = { grouped: true };

export const SESSION_HEAD_KEY = 'audit_head';
/** Sessions whose head epoch anchor() remembers, at most (then it starts again). */
const HEAD_EPOCHS_KEPT = 10_000;
/** Tool arguments beyond this are cut in entries: the entry proves the call, not its payload. */
const MAX_ARGS_CHARS = 2000;
/** How long after a turn the head file is rewritten (turns in between share one write). */
const HEAD_FILE_DELAY_MS = 1000;

export function legacyAuditPath(workspace: string): string {
  return join(workspace, '.oxydra', 'audit.jsonl');
}

const HEAD_FILE = 'audit-head.json';
/** A head file is one small JSON line; the legacy log was never near this size. */
const HEAD_FILE_MAX_BYTES = 4096;
const LEGACY_MAX_BYTES = 64 * 1024 * 1024;
/** The audit store's note saying the legacy audit.jsonl was imported. */
const LEGACY_NOTE = 'legacy_imported';

export function headFilePath(workspace: string): string {
  return join(workspace, '.oxydra', HEAD_FILE);
}

export class KernelAudit {
  private constructor(
    readonly workspace: string,
    readonly chain: AuditChain,
    private readonly secrets: readonly string[],
    /** The `.oxydra/` (and kernel.db) the chain lives in: the head file goes there or nowhere. */
    readonly identity: WorkspaceIdentity,
  ) {}

  static async open(
    workspace: string,
    db: KernelDb,
    options: {
      maxEntries: number;
      secrets?: readonly string[];
      now?: () => Date;
      /** Where the chain is kept; default: the kernel database's control stores. */
      stores?: ControlStoreGroup;
      /**
       * The chain's hasher, when the caller started making it earlier (EntryHasher.create
       * compiles BLAKE3's WebAssembly, a fraction of a ms); default: made here.
       */
      hasher?: Promise<EntryHasher>;
    },
  ): Promise<KernelAudit> {
    const stores = options.stores ?? asyncControlStores(db);
    const chain = new AuditChain(stores, await (options.hasher ?? EntryHasher.create()), {
      maxEntries: options.maxEntries,
      ...(options.now ? { now: options.now } : {}),
    });
    // Recorded after the database is open (its caller opened it), before anything is written.
    const identity = WorkspaceIdentity.capture(workspace);
    const audit = new KernelAudit(workspace, chain, options.secrets ?? [], identity);
    await audit.#importLegacy(stores);
    await chain.load();
    return audit;
  }

  /**
   * Records an entry, committed (with what waits) before this resolves; `grouped`: a record of
   * what already happened, returned at once and committed with the tick's others (recordLater).
   */
  record(
    actor: string,
    type: string,
    data: Record<string, unknown>,
    resource: string,
    options: Grouped,
  ): AuditEntry;
  record(actor: string, type: string, data: Record<string, unknown>, resource?: string): Promise<AuditEntry>;
  record(
    actor: string,
    type: string,
    data: Record<string, unknown>,
    resource: string,
    options: AppendOptions,
  ): AuditEntry | Promise<AuditEntry>;
  record(
    actor: string,
    type: string,
    data: Record<string, unknown>,
    resource = '',
    options: AppendOptions = {},
  ): AuditEntry | Promise<AuditEntry> {
    const record = { actor, action: { type, data }, resource };
    return options.grouped ? this.chain.appendGrouped(record) : this.chain.append(record);
  }

  /** Records an entry inside the caller's transaction of the control group: it commits with it. */
  recordIn(
    tx: ControlStores,
    actor: string,
    type: string,
    data: Record<string, unknown>,
    resource = '',
  ): Promise<AuditEntry> {
    return this.chain.appendIn(tx, { actor, action: { type, data }, resource });
  }

  /**
   * A record of what already happened (a refusal, a failure, an agent's exit): committed with the
   * others of its tick, retried when that commit fails (chain.ts). Read back after it (list,
   * head), it is there: a read commits what waits first.
   */
  recordLater(actor: string, type: string, data: Record<string, unknown>, resource = ''): void {
    this.record(actor, type, data, resource, { grouped: true });
  }

  /** The registry's decision on a privileged call, committed before the call runs. */
  readonly approval = async (record: ApprovalRecord): Promise<void> => {
    const { tool, summary, approved, by, reason, sessionId } = record;
    await this.record(
      by === 'user' ? 'user' : 'policy',
      'approval',
      {
        tool,
        summary,
        approved,
        by,
        ...(reason ? { reason } : {}),
        ...(sessionId ? { session: sessionId } : {}),
      },
      tool,
    );
  };

  /** Each distinct source of untrusted-or-not content as it enters an agent's context (taint tracking). */
  provenance(agentId: string, provenance: Provenance, sessionId: string | undefined): void {
    this.recordLater(
      `agent:${agentId}`,
      'provenance',
      { kind: provenance.kind, ...(sessionId ? { session: sessionId } : {}) },
      redactLiterals(provenance.source ?? '', this.secrets),
    );
  }

  /** With network = "allowlist": each connection a sandboxed command asked for, and the answer. */
  readonly egress = (decision: EgressDecision): void => {
    // Committed at once (with what waits); a commit that fails is retried by the batch or warned.
    this.record('sandbox', 'egress', { ...decision }, `${decision.host}:${decision.port}`).catch(() => {});
  };

  /** What an agent's events say: its tool calls and results, its spawn, exit and budget stop. */
  observe(agentId: string, event: StreamEvent | LifecycleEvent): void {
    // Most events (text, usage, progress) record nothing: the actor's text only for those that do.
    let actor: string;
    switch (event.type) {
      case 'tool_execution_start':
        actor = `agent:${agentId}`;
        // Committed at once, not grouped: the entry goes in before the tool's work does.
        this.record(
          actor,
          'tool_call',
          { tool: event.name, call: event.id, args: this.#args(event.arguments) },
          event.name,
        ).catch(() => {});
        return;
      case 'tool_execution_end':
        actor = `agent:${agentId}`;
        this.recordLater(
          actor,
          'tool_result',
          { tool: event.name, call: event.id, ok: !event.isError, ms: Math.round(event.durationMs) },
          event.name,
        );
        return;
      case 'agent_spawned':
        actor = `agent:${agentId}`;
        this.recordLater(
          actor,
          'agent_spawn',
          {
            name: event.name,
            ...(event.parentAgentId ? { parent: event.parentAgentId } : {}),
          },
          '',
        );
        return;
      case 'agent_exited':
        actor = `agent:${agentId}`;
        this.recordLater(
          actor,
          'agent_exit',
          { status: event.status, ...(event.reason ? { reason: event.reason } : {}) },
          '',
        );
        return;
      case 'run_failed':
        if (event.error?.code === 'budget_exceeded') {
          this.recordLater(`agent:${agentId}`, 'budget_stop', { message: event.error.message });
        }
        return;
      default:
        return;
    }
  }

  /**
   * Records the head outside the chain: in the head file and, when given, in the session. A
   * tail deleted later no longer reaches these, and `verify` says so.
   */
  async anchor(
    sessions?: SessionStore,
    sessionId?: string,
    options: { flush?: boolean; end?: TurnEndWrites } = {},
  ): Promise<AuditHead | undefined> {
    // The head handed out must be on disk: it waits for the tick's commit (shared by every
    // turn ending in that tick) rather than committing on its own.
    await this.chain.committed();
    if (options.flush) await this.chain.commitAll();
    const head = await this.chain.durableHead();
    if (!head) return undefined;
    // The file costs an fsync: written at most once a second while turns run, and on close.
    if (options.flush) await this.#writeHeadFile();
    else this.keepHeadFile();
    if (sessions && sessionId) {
      // Compare-and-set on the session's state epoch; a concurrent writer's newer head is as good.
      // Unless flushing (on close), the copy need not wait for the disk (the entries it names
      // did): a turn's later writes that wait (the gateway's release of the turn's claim) put it
      // there too, and a crash of the database server before them loses this copy only, so
      // `verify` checks the session's previous one (docs/postgres.md, "Warm turn latency").
      // The epoch this process wrote last is tried first (no read); moved by another writer, read.
      const write = { relaxed: options.flush !== true };
      const value = JSON.stringify(head);
      let epoch = this.#headEpochs.get(sessionId);
      if (options.end && !options.flush) {
        // The caller ends the turn in one transaction (a deployment's gateway turn): the copy
        // goes in it, flushed with the final record and the claim's release, instead of a round
        // trip of its own now. Lost to another writer there, it is not tried again: `verify`
        // checks the session's previous copy, and the next turn reads the epoch afresh.
        epoch ??= (await sessions.getState(sessionId, SESSION_HEAD_KEY))?.epoch ?? null;
        const expected = epoch;
        const deferred = options.end.state({ key: SESSION_HEAD_KEY, value, expectedEpoch: expected });
        if (deferred) {
          void deferred.then((written) =>
            this.#rememberEpoch(sessionId, written ? (expected ?? 0) + 1 : undefined),
          );
          return head;
        }
      }
      if (
        epoch === undefined ||
        !(await sessions.setState(sessionId, SESSION_HEAD_KEY, value, epoch, write))
      ) {
        epoch = (await sessions.getState(sessionId, SESSION_HEAD_KEY))?.epoch ?? null;
        if (!(await sessions.setState(sessionId, SESSION_HEAD_KEY, value, epoch, write))) {
          this.#headEpochs.delete(sessionId);
          return head;
        }
      }
      this.#rememberEpoch(sessionId, (epoch ?? 0) + 1);
    }
    return head;
  }

  /**
   * A turn ended without naming the head (SpawnSpec.auditHead false): the head file still
   * follows the chain, written within a second as after an anchor (the head as committed then).
   */
  keepHeadFile(): void {
    this.#headFileTimer ??= setTimeout(
      () => void this.#writeHeadFile().catch(() => {}),
      HEAD_FILE_DELAY_MS,
    ).unref();
  }

  /**
   * `sessionId` was created just now, by this process: it has no head copy, so its first anchor
   * writes one without reading first (a compare-and-set on "no value yet"; another writer's
   * copy made meanwhile still wins, and is read then).
   */
  sessionCreated(sessionId: string): void {
    this.#rememberEpoch(sessionId, null);
  }

  /** The epoch of the session's head copy as this process wrote it; undefined: read it next time. */
  #rememberEpoch(sessionId: string, epoch: number | null | undefined): void {
    if (epoch === undefined) {
      this.#headEpochs.delete(sessionId);
      return;
    }
    if (this.#headEpochs.size >= HEAD_EPOCHS_KEPT) this.#headEpochs.clear();
    this.#headEpochs.set(sessionId, epoch);
  }

  /** The heads recorded outside the chain: the head file and the latest sessions'. */
  async anchors(sessions?: SessionStore): Promise<AuditAnchor[]> {
    const anchors: AuditAnchor[] = [];
    const file = readHeadFile(this.workspace);
    if (file) anchors.push({ ...file, source: 'the head file .oxydra/audit-head.json' });
    // A memory database not created yet (SessionStore.exists) holds no session to anchor.
    if (sessions && sessions.exists?.() !== false) {
      for (const session of await sessions.list({ limit: 50 })) {
        const state = await sessions.getState(session.id, SESSION_HEAD_KEY);
        const head = state ? parseHead(state.value) : undefined;
        if (head) anchors.push({ ...head, source: `session ${session.id}` });
      }
    }
    return anchors;
  }

  #headFileTimer: NodeJS.Timeout | undefined;
  #headFileSeq = 0;
  /** The epoch of each session's head as this process last wrote it (anchor). */
  readonly #headEpochs = new Map<string, number | null>();

  async #writeHeadFile(): Promise<void> {
    clearTimeout(this.#headFileTimer);
    this.#headFileTimer = undefined;
    const head = await this.chain.head();
    if (!head || head.seq === this.#headFileSeq) return;
    // Once `.oxydra/` (or kernel.db) was removed or replaced, this chain's head belongs to no
    // folder on disk: written by name it would make the next chain there read as cut short.
    const written = await this.identity.writeFile(
      HEAD_FILE,
      `${JSON.stringify({ ...head, at: new Date().toISOString() })}\n`,
    );
    if (written) this.#headFileSeq = head.seq;
  }

  /** Stops a pending head-file write (the kernel closes the database next). */
  stopTimers(): void {
    clearTimeout(this.#headFileTimer);
    this.#headFileTimer = undefined;
  }

  #args(args: Record<string, unknown>): string {
    const text = redactLiterals(JSON.stringify(args), this.secrets);
    return text.length > MAX_ARGS_CHARS ? `${text.slice(0, MAX_ARGS_CHARS)}… (${text.length} chars)` : text;
  }

  /**
   * The audit log before the chain was `.oxydra/audit.jsonl`: its lines become entries (their
   * own times kept in the data), in one transaction with a marker so no line is taken twice,
   * and the file is renamed to audit.jsonl.imported. Only a log this user's Oxydra wrote (0600,
   * theirs): a clone's `.oxydra/audit.jsonl` linked to `/proc/self/environ` or a key copied its
   * target into the chain, one linked to `/dev/zero` held every command forever, and a checked-out
   * one (0644) forged history; such a file is left where it is, unread.
   */
  async #importLegacy(stores: ControlStoreGroup): Promise<void> {
    const path = legacyAuditPath(this.workspace);
    const file = readSmallFile(path, { maxBytes: LEGACY_MAX_BYTES, ...WRITTEN_BY_ME });
    if (!file.ok) return;
    const lines = file.bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    // One transaction with the note that says so: no line is taken twice, also by two processes.
    await stores.transaction(async (tx) => {
      if ((await tx.audit.note(LEGACY_NOTE)) !== undefined) return;
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { type: 'unparsable', line: line.slice(0, MAX_ARGS_CHARS) };
        }
        const { type, ...data } = entry;
        const resource =
          typeof data.tool === 'string'
            ? data.tool
            : typeof data.host === 'string'
              ? `${data.host}:${data.port}`
              : '';
        await this.recordIn(
          tx,
          'legacy',
          `legacy_${typeof type === 'string' ? type : 'entry'}`,
          data,
          resource,
        );
      }
      await tx.audit.addNote(
        LEGACY_NOTE,
        JSON.stringify({ lines: lines.length, at: new Date().toISOString() }),
      );
    });
    renameSync(path, `${path}.imported`);
  }
}

/**
 * The head file as #writeHeadFile wrote it (0600, this user's); a link, FIFO, device or checked-out
 * copy at its name is no anchor (a clone's link to `/dev/zero` held `audit verify` and the
 * gateway's guardian forever).
 */
function readHeadFile(workspace: string): AuditHead | undefined {
  const file = readSmallFile(headFilePath(workspace), { maxBytes: HEAD_FILE_MAX_BYTES, ...WRITTEN_BY_ME });
  return file.ok ? parseHead(file.bytes.toString('utf8')) : undefined;
}

function parseHead(text: string): AuditHead | undefined {
  try {
    const value = JSON.parse(text) as Partial<AuditHead>;
    return typeof value.seq === 'number' && typeof value.hash === 'string'
      ? { seq: value.seq, hash: value.hash }
      : undefined;
  } catch {
    return undefined;
  }
}
