/**
 * Interfaces of the subsystems later layers implement: memory store, embedder, sandbox and
 * chat channels. Kept minimal and stable; implementations add their own richer APIs.
 */
import type { Message, Usage } from './messages.js';
import type { Provenance } from './tools.js';

export interface SessionRecord {
  id: string;
  title?: string;
  userId?: string;
  agent?: string;
  createdAt: string;
  updatedAt: string;
}

export interface NoteRecord {
  id: string;
  content: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface SearchHit {
  text: string;
  source: 'note' | 'conversation';
  score: number;
  noteId?: string;
  sessionId?: string;
  tags?: string[];
  /**
   * What the context held when the text was written, besides the operator's words (a fetched
   * page, an MCP answer: one per kind, chunkTaint); absent: nothing. Recall carries it on.
   */
  taint?: Provenance[];
}

export interface SearchQuery {
  query: string;
  topK?: number;
  tags?: string[];
  sessionId?: string;
  userId?: string;
}

/** Durable memory: sessions with append-only event logs, notes and hybrid search. */
export interface Store {
  createSession(session: Omit<SessionRecord, 'createdAt' | 'updatedAt'>): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(options?: { userId?: string; limit?: number }): Promise<SessionRecord[]>;
  deleteSession(id: string): Promise<void>;
  /** Append one turn's messages atomically: all of them or none. */
  appendMessages(sessionId: string, messages: Message[]): Promise<void>;
  loadMessages(sessionId: string): Promise<Message[]>;
  saveNote(note: { content: string; tags?: string[]; userId?: string }): Promise<NoteRecord>;
  deleteNote(id: string): Promise<void>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  close(): Promise<void>;
}

export interface Embedder {
  /** Stored with every vector so a model change can be detected and re-embedded. */
  readonly modelId: string;
  readonly dimensions: number;
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>;
}

export interface EmbedOptions {
  /**
   * Told what each request to a remote embedding API cost (input tokens, as reported or
   * estimated, and dollars when the model's price is known), so budgets can count it.
   * Local embedders never call it.
   */
  onUsage?: (usage: Usage) => void;
}

export type SandboxTier = 'bubblewrap' | 'sandbox_exec' | 'none';

export interface SandboxPolicy {
  readableRoots: string[];
  writableRoots: string[];
  deniedPaths: string[];
  network: 'off' | { allowHosts: string[] };
  envAllowlist: string[];
  limits?: { cpuSeconds?: number; memoryMiB?: number; processes?: number; fileSizeMiB?: number };
  /** Size of the command's private /tmp (a tmpfs, memory-backed), in MiB. Default: 512. */
  tmpSizeMiB?: number;
  /**
   * The host uid/gid commands run as, when Oxydra runs as root: never host root inside the
   * sandbox. Unset: the sandbox runs as Oxydra's own user.
   */
  identity?: { uid: number; gid: number };
  /** The seccomp filter on dangerous kernel interfaces (keyrings, bpf, io_uring, namespaces). Default: on. */
  seccomp?: boolean;
}

/** What a host reports about command isolation: gateway start-up, /readyz, hello_ack, doctor. */
export interface SandboxStatus {
  tier: 'bubblewrap' | 'sandbox_exec' | 'none';
  /** unsandboxed: mode = "none" was chosen; refused: no working sandbox, so shell_exec refuses. */
  shell: 'sandboxed' | 'unsandboxed' | 'refused';
  /** One line: what commands get (or why they are refused). */
  summary: string;
}

export interface SandboxCommand {
  command: string;
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
}

export interface Sandbox {
  readonly tier: SandboxTier;
  /** Why the tier is weaker than asked (e.g. "bubblewrap not installed"), if it is. */
  readonly degradation?: string;
  run(command: SandboxCommand, policy: SandboxPolicy): Promise<SandboxResult>;
}
