/**
 * The persona store's contract: what a persona is when listed, shown and loaded, what a change
 * sets, and the store's operations. Types only; the store over character files is store.ts.
 */
import type { CharacterFormat } from '@oxydra/types';
import type { Character } from './character.js';

export type PersonaScope = 'workspace' | 'user';

export interface PersonaInfo {
  name: string;
  scope: PersonaScope;
  path: string;
  format: CharacterFormat;
  /** The character's own name (`name` in the file). */
  displayName?: string;
  active: boolean;
  /** Why the file cannot be used (invalid, unreadable); list shows it instead of failing. */
  problem?: string;
}

/** A character read and rendered: what the system prompt gets. */
export interface LoadedPersona {
  path: string;
  /** Changes when the file does: part of the kernel's cache key. */
  stamp: string;
  character: Character;
  notes: string[];
  /** The rendered template, exactly as placed in the system prompt. */
  prompt: string;
}

export interface PersonaDetail extends PersonaInfo, LoadedPersona {}

/** Fields a create or update sets (each replaces the file's value; `style` per list). */
export interface PersonaFields {
  name?: string;
  username?: string;
  system?: string;
  bio?: string[];
  lore?: string[];
  knowledge?: string[];
  topics?: string[];
  adjectives?: string[];
  style?: { all?: string[]; chat?: string[]; post?: string[] };
}

export interface PersonaChange {
  /** A character file (JSON or TOML) to copy; an update replaces the persona's file with it. */
  from?: string;
  /** A character as an object (stored as JSON); the same, for callers without a file. */
  character?: Record<string, unknown>;
  set?: PersonaFields;
}

export interface ChangeOptions {
  /** Who made the change, for the audit entry (`cli`, `token:<id>`). */
  actor?: string;
}

type AuditRecorder = (actor: string, type: string, data: Record<string, unknown>, resource: string) => void;

export interface PersonaStoreOptions {
  /** Each change is recorded here (the kernel's audit chain). */
  audit?: AuditRecorder;
  /** The default actor of the audit entries. */
  actor?: string;
  /** Called after every change (the kernel drops its cached assemblies). */
  onChange?: () => void;
}

export interface PersonaStore {
  readonly workspaceDir: string;
  readonly userDir: string;
  list(): PersonaInfo[];
  /** A stored persona with its rendered prompt; UsageError when there is none. */
  show(name: string): PersonaDetail;
  create(
    name: string,
    change: PersonaChange,
    options?: ChangeOptions & { scope?: PersonaScope },
  ): Promise<PersonaInfo>;
  update(name: string, change: PersonaChange, options?: ChangeOptions): Promise<PersonaInfo>;
  /**
   * Removes the persona's file (the workspace's when both have one) and returns what it was; an
   * active persona with no other file of its name is no longer active.
   */
  delete(name: string, options?: ChangeOptions & { scope?: PersonaScope }): Promise<PersonaInfo>;
  /** Makes a stored persona the active one (the default agent's, unless `persona` is set); undefined clears it. */
  setActive(name: string | undefined, options?: ChangeOptions): Promise<void>;
  /** The active persona's name, if any. */
  active(): string | undefined;
  /** A stored persona by name, else a character file (relative to the workspace, `~` expanded). */
  resolve(ref: string, keyPath: string): LoadedPersona;
  /** The active persona loaded, if any; ConfigError when it names one that is gone. */
  loadActive(): LoadedPersona | undefined;
}
