/**
 * Who may use a stored session, and anything else a user owns (a running agent, an open
 * approval question): the kernel's one ownership rule, so hosts (gateway WS/HTTP, the REST API,
 * the MCP server) ask instead of comparing user ids themselves.
 *
 * A scope without a user is the workspace's owner (the CLI, an owner or admin token) and may use
 * everything; a scope with a user may use only what that user owns. Another user's session is
 * answered exactly like a missing one (undefined, or the same "not found" error), so a user
 * cannot probe which ids exist.
 *
 * Built over the session store's plain calls only, so any store implementation behind that
 * contract gets the rule unchanged. The kernel facade has no unscoped store: a host reads,
 * exports and counts sessions here, with the caller's scope. Only `ownerStore` hands out the
 * whole store, for hosts that run every user's sessions (the gateway's hub, the channels), and
 * only against the kernel's OwnerGrant: a scope is the caller's word (a host acting for a user
 * could pass `{}`), a grant is a capability the composition root was given with the kernel it opened
 * (`openKernel(options, { ownerGrant: true })`).
 */
import {
  exportSessionJsonl,
  exportSessionMarkdown,
  type NewSession,
  type Session,
  type SessionFilter,
  type SessionStore,
  type SessionSummary,
} from '@oxydra/memory';
import {
  defaultSessionId,
  isDefaultSessionId,
  type Message,
  type SessionRoom,
  UsageError,
} from '@oxydra/types';
import { loadSpecRecord, type SpecRecord, storeSpecRecord } from '../spec/record.js';

/** Whom a call acts for: a user, or (no userId) the workspace's owner. */
export interface AccessScope {
  userId?: string | undefined;
}

export interface SessionAccess {
  /** Whether the scope may use something `owner` owns (null/undefined: nobody's, the owner's). */
  mayUse(owner: string | null | undefined, scope: AccessScope): boolean;
  /** The session when the scope may use it; undefined when it is missing or another user's. */
  get(id: string, scope: AccessScope): Promise<Session | undefined>;
  /** The session when the scope may use it; else the same "not found" error for missing and foreign ones. */
  open(id: string, scope: AccessScope): Promise<Session>;
  /**
   * The session of this id, created for the scope's user when missing; undefined when it exists
   * and is another user's (the caller answers "not found"). `room`: the user's limit a creation
   * keeps (SessionStore.getOrCreate), SessionLimitError when it is full.
   */
  getOrCreate(
    id: string,
    fields: Omit<NewSession, 'id' | 'userId'>,
    scope: AccessScope,
    room?: SessionRoom,
  ): Promise<Session | undefined>;
  /** Stored sessions the scope may see: a user's list is always held to that user. */
  list(
    filter: Omit<SessionFilter, 'userId'> & { userId?: string; limit?: number; offset?: number },
    scope: AccessScope,
  ): Promise<SessionSummary[]>;
  /**
   * Whether a session id a scope would continue (or start under that name) is someone else's:
   * the name cannot be used. Missing ids and the scope's own sessions are free.
   */
  takenByOther(id: string, scope: AccessScope): Promise<boolean>;
  /** The ids `typed` (full id, short id or prefix) could name among the sessions the scope may see. */
  lookup(typed: string, scope: AccessScope): Promise<string[]>;
  /** The session's stored messages, oldest first; the "not found" error when the scope may not use it. */
  messages(id: string, scope: AccessScope): Promise<Message[]>;
  /** Deletes the session when the scope may use it; false when it is missing or another user's. */
  delete(id: string, scope: AccessScope): Promise<boolean>;
  /** The session as Markdown or JSONL text; the "not found" error when the scope may not use it. */
  export(id: string, format: 'markdown' | 'jsonl', scope: AccessScope): Promise<string>;
  /** The session's spec run (spec/record.ts); undefined when it has none, is missing or another user's. */
  specRecord(id: string, scope: AccessScope): Promise<SpecRecord | undefined>;
  /** Writes the session's spec run (a spec run's bookkeeping); nothing when it is missing or another user's. */
  storeSpecRecord(id: string, record: SpecRecord, scope: AccessScope): Promise<void>;
  /** How many sessions are stored that the scope may see: a user's own, or (the owner) all. */
  count(scope: AccessScope): Promise<number>;
  /**
   * The whole store (every user's sessions, all its writes), for a host that serves every user
   * itself (the gateway's hub, the channels): only against this kernel's OwnerGrant (a plain
   * object, a scope or another kernel's grant is refused). Undefined when memory is off.
   */
  ownerStore(grant: OwnerGrant): Promise<SessionStore | undefined>;
}

const MINT = Symbol('owner grant');

/**
 * The workspace owner's grant over one kernel's sessions: what `ownerStore` asks for. Only the
 * kernel mints one, for the code that opens it (openKernel(…, { ownerGrant: true })), which
 * hands it to the hosts that serve every user; its private field is what a forged object (a plain `{}`, an
 * `Object.create(OwnerGrant.prototype)`) lacks.
 */
export class OwnerGrant {
  readonly #access: SessionAccess;
  /** @internal the kernel's (mintOwnerGrant); any other call throws. */
  constructor(key: symbol, access: SessionAccess) {
    if (key !== MINT)
      throw new TypeError(
        'an owner grant is minted by the kernel only, for whoever opens it with { ownerGrant: true }',
      );
    this.#access = access;
  }
  /** Whether `grant` is a real grant, minted for `access`. */
  static unlocks(grant: unknown, access: SessionAccess): boolean {
    return typeof grant === 'object' && grant !== null && #access in grant && grant.#access === access;
  }
}

/** openKernel's (kernel.ts): a grant over `access`. Not exported from the package. */
export function mintOwnerGrant(access: SessionAccess): OwnerGrant {
  return new OwnerGrant(MINT, access);
}

export function mayUse(owner: string | null | undefined, scope: AccessScope): boolean {
  return scope.userId === undefined || owner === scope.userId;
}

/**
 * Whether a session id is kept for another user: `runtime-<user>` is that user's default session
 * (the one a hello without a session id attaches), so no other user may create it. Session ids are
 * one namespace; without this, a user naming `runtime-bob` before bob's first hello made the
 * session theirs, and bob could never open his default session.
 */
export function reservedForOther(id: string, scope: AccessScope): boolean {
  return scope.userId !== undefined && isDefaultSessionId(id) && id !== defaultSessionId(scope.userId);
}

/** The error for a session the scope cannot use: the same text whether it is missing or foreign. */
function sessionNotFound(id: string): UsageError {
  return new UsageError(`session ${JSON.stringify(id.slice(0, 80))} not found`, {
    hint: 'list your sessions to see their ids',
  });
}

/**
 * `store` is read on every call: undefined when memory is off (the calls then throw, and
 * ownerStore answers undefined). It may answer later (openServices opens the sessions database
 * at the first call that needs it).
 */
export function sessionAccess(
  store: () => SessionStore | undefined | Promise<SessionStore | undefined>,
): SessionAccess {
  const sessions = async (): Promise<SessionStore> => {
    const current = await store();
    if (!current) throw new UsageError('memory is off ([memory] enabled = false): no sessions are stored');
    return current;
  };
  const get = async (id: string, scope: AccessScope): Promise<Session | undefined> => {
    const session = await (await sessions()).get(id);
    return session && mayUse(session.userId, scope) ? session : undefined;
  };
  const mine = async (id: string, scope: AccessScope): Promise<SessionStore> => {
    if (!(await get(id, scope))) throw sessionNotFound(id);
    return sessions();
  };
  const access: SessionAccess = {
    mayUse,
    get,
    async open(id, scope) {
      const session = await get(id, scope);
      if (!session) throw sessionNotFound(id);
      return session;
    },
    async getOrCreate(id, fields, scope, room) {
      if (reservedForOther(id, scope)) return get(id, scope);
      const session = await (await sessions()).getOrCreate(
        id,
        { ...fields, ...(scope.userId !== undefined ? { userId: scope.userId } : {}) },
        room,
      );
      return mayUse(session.userId, scope) ? session : undefined;
    },
    async list(filter, scope) {
      const userId = scope.userId ?? filter.userId;
      return (await sessions()).list({ ...filter, ...(userId !== undefined ? { userId } : {}) });
    },
    async takenByOther(id, scope) {
      if (reservedForOther(id, scope)) return true;
      const session = await (await sessions()).get(id);
      return session !== undefined && !mayUse(session.userId, scope);
    },
    async lookup(typed, scope) {
      return (await sessions()).lookup(typed, scope.userId !== undefined ? { userId: scope.userId } : {});
    },
    async messages(id, scope) {
      return (await mine(id, scope)).loadMessages(id);
    },
    async delete(id, scope) {
      if (!(await get(id, scope))) return false;
      return (await sessions()).delete(id);
    },
    async export(id, format, scope) {
      const store = await mine(id, scope);
      return format === 'markdown' ? exportSessionMarkdown(store, id) : exportSessionJsonl(store, id);
    },
    async specRecord(id, scope) {
      return (await get(id, scope)) ? loadSpecRecord(await sessions(), id) : undefined;
    },
    async storeSpecRecord(id, record, scope) {
      if (await get(id, scope)) await storeSpecRecord(await sessions(), id, record);
    },
    async count(scope) {
      return (await sessions()).count(scope.userId !== undefined ? { userId: scope.userId } : {});
    },
    async ownerStore(grant) {
      if (!OwnerGrant.unlocks(grant, access))
        throw new Error(
          "the whole session store is the workspace owner's, handed only against this kernel's owner grant (given to whoever opened the kernel with { ownerGrant: true }): read a user's sessions through sessionAccess with their scope",
        );
      return store();
    },
  };
  return access;
}
