/**
 * The persona store: character files in `<workspace>/.oxydra/personas/` and in the user's
 * configuration folder (`~/.config/oxydra/personas/`), the workspace's winning a name clash, and
 * which one is active (`.oxydra/personas/.active`, one name). Oxios's persona operations (list,
 * show, create, update, delete, set active) for the CLI, which uses it without a kernel, and for
 * the kernel, which adds auditing and drops its cached agents on a change. Reads are
 * synchronous and bounded (the kernel resolves a persona inside its synchronous assembly).
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { userConfigDirectory, writeFileAtomic } from '@oxydra/config';
import {
  type CharacterFormat,
  ConfigError,
  characterFormat,
  compareCodePoints,
  didYouMean,
  UsageError,
} from '@oxydra/types';
import { realPathInside } from '@oxydra/types/fs';
import { stringify } from 'smol-toml';
import { activePersonaFile } from './active-file.js';
import {
  fileStamp,
  parseCharacterObject,
  parseCharacterText,
  readCharacterFile,
  readCharacterText,
} from './character-file.js';
import type {
  ChangeOptions,
  LoadedPersona,
  PersonaChange,
  PersonaDetail,
  PersonaFields,
  PersonaInfo,
  PersonaScope,
  PersonaStore,
  PersonaStoreOptions,
} from './persona-store.js';
import { renderPersona } from './template.js';

/** A stored persona's name: also its file name, so nothing that could leave the folder. */
export const PERSONA_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const FORMATS: readonly CharacterFormat[] = ['json', 'toml'];

export function checkPersonaName(name: string): void {
  if (!PERSONA_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a persona name`, {
      hint: 'lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters',
    });
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function serialize(raw: Record<string, unknown>, format: CharacterFormat): string {
  return format === 'json' ? `${JSON.stringify(raw, null, 2)}\n` : stringify(raw);
}

function applyFields(raw: Record<string, unknown>, set: PersonaFields | undefined): Record<string, unknown> {
  if (!set) return raw;
  const next: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined || key === 'style') continue;
    next[key] = value;
  }
  if (set.style) {
    const style = raw.style;
    const old = typeof style === 'object' && style !== null && !Array.isArray(style) ? style : {};
    next.style = {
      ...old,
      ...Object.fromEntries(Object.entries(set.style).filter(([, list]) => list !== undefined)),
    };
  }
  return next;
}

export function personaStore(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env,
  options: PersonaStoreOptions = {},
): PersonaStore {
  return new FilePersonaStore(workspace, env, options);
}

interface Found {
  name: string;
  scope: PersonaScope;
  path: string;
  format: CharacterFormat;
}

class FilePersonaStore implements PersonaStore {
  readonly workspaceDir: string;
  readonly userDir: string;
  readonly #workspace: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #options: PersonaStoreOptions;
  /** Loaded files by path, reused while their stamp is unchanged. */
  readonly #loaded = new Map<string, LoadedPersona>();

  constructor(workspace: string, env: NodeJS.ProcessEnv, options: PersonaStoreOptions) {
    this.#workspace = workspace;
    this.#env = env;
    this.#options = options;
    this.workspaceDir = join(workspace, '.oxydra', 'personas');
    this.userDir = join(userConfigDirectory({ cwd: workspace, env }), 'personas');
  }

  #dir(scope: PersonaScope): string {
    return scope === 'workspace' ? this.workspaceDir : this.userDir;
  }

  /** The stored file of a name: the workspace's first, `.json` before `.toml`. */
  #find(name: string, scopes: readonly PersonaScope[] = ['workspace', 'user']): Found | undefined {
    checkPersonaName(name);
    for (const scope of scopes) {
      for (const format of FORMATS) {
        const path = join(this.#dir(scope), `${name}.${format}`);
        if (fileStamp(path, false) !== undefined) return { name, scope, path, format };
      }
    }
    return undefined;
  }

  #require(name: string, scopes?: readonly PersonaScope[]): Found {
    const found = this.#find(name, scopes);
    if (found) return found;
    const known = this.list().map((p) => p.name);
    throw new UsageError(`no persona "${name}"${didYouMean(name, known)}`, {
      hint:
        known.length > 0 ? `personas: ${known.join(', ')}` : 'create one with `oxydra persona create <name>`',
    });
  }

  #load(path: string, followLinks: boolean): LoadedPersona {
    const stamp = fileStamp(path, followLinks) ?? '';
    const cached = this.#loaded.get(path);
    if (cached && cached.stamp === stamp && stamp !== '') return cached;
    const file = readCharacterFile(path, { followLinks });
    const loaded = {
      path,
      stamp: file.stamp,
      character: file.character,
      notes: file.notes,
      prompt: renderPersona(file.character),
    };
    this.#loaded.set(path, loaded);
    return loaded;
  }

  list(): PersonaInfo[] {
    const active = this.#activeOrUndefined();
    const seen = new Map<string, PersonaInfo>();
    for (const scope of ['workspace', 'user'] as const) {
      let entries: string[];
      try {
        entries = readdirSync(this.#dir(scope)).sort();
      } catch {
        continue;
      }
      for (const entry of entries) {
        const match = /^(.+)\.(json|toml)$/.exec(entry);
        if (!match || !PERSONA_NAME.test(match[1]!) || seen.has(match[1]!)) continue;
        const name = match[1]!;
        const path = join(this.#dir(scope), entry);
        const info: PersonaInfo = {
          name,
          scope,
          path,
          format: match[2] as CharacterFormat,
          active: name === active,
        };
        try {
          info.displayName = this.#load(path, false).character.name;
        } catch (error) {
          info.problem = (error as Error).message;
        }
        seen.set(name, info);
      }
    }
    return [...seen.values()].sort((a, b) => compareCodePoints(a.name, b.name));
  }

  show(name: string): PersonaDetail {
    const found = this.#require(name);
    const loaded = this.#load(found.path, false);
    return {
      ...found,
      displayName: loaded.character.name,
      active: this.#activeOrUndefined() === name,
      ...loaded,
    };
  }

  async create(
    name: string,
    change: PersonaChange,
    options: ChangeOptions & { scope?: PersonaScope } = {},
  ): Promise<PersonaInfo> {
    const scope = options.scope ?? 'workspace';
    const existing = this.#find(name, [scope]);
    if (existing) {
      throw new UsageError(`persona "${name}" already exists (${existing.path})`, {
        hint: `change it with \`oxydra persona update ${name}\`, or delete it first`,
      });
    }
    const { text, format } = this.#content(name, change, undefined);
    const path = join(this.#dir(scope), `${name}.${format}`);
    await writeFileAtomic(path, text, { mode: 0o600 });
    this.#changed(options, 'persona_create', name, {
      scope,
      file: path,
      ...(change.from !== undefined ? { from: change.from } : {}),
      sha256: sha256(text),
    });
    return this.#info({ name, scope, path, format });
  }

  async update(name: string, change: PersonaChange, options: ChangeOptions = {}): Promise<PersonaInfo> {
    const found = this.#require(name);
    if (change.from === undefined && change.character === undefined && !hasFields(change.set)) {
      throw new UsageError(`nothing to change in persona "${name}"`, {
        hint: 'give --from <file> to replace it, or fields to set (--bio, --lore, --topic, ...)',
      });
    }
    const { text, format } = this.#content(name, change, found);
    const path = join(this.#dir(found.scope), `${name}.${format}`);
    await writeFileAtomic(path, text, { mode: 0o600 });
    // A TOML persona replaced by a JSON file (or the reverse) leaves no stale twin behind.
    if (path !== found.path) rmSync(found.path, { force: true });
    this.#changed(options, 'persona_update', name, {
      scope: found.scope,
      file: path,
      replaced: change.from !== undefined || change.character !== undefined,
      fields: Object.keys(change.set ?? {}).filter(
        (key) => change.set?.[key as keyof PersonaFields] !== undefined,
      ),
      sha256: sha256(text),
    });
    return this.#info({ name, scope: found.scope, path, format });
  }

  async delete(name: string, options: ChangeOptions & { scope?: PersonaScope } = {}): Promise<PersonaInfo> {
    const found = this.#require(name, options.scope ? [options.scope] : undefined);
    const info = this.#info(found);
    rmSync(found.path, { force: true });
    this.#loaded.delete(found.path);
    const stillThere = this.#find(name);
    if (this.#activeOrUndefined() === name && !stillThere) await this.#writeActive(undefined);
    this.#changed(options, 'persona_delete', name, { scope: found.scope, file: found.path });
    return info;
  }

  async setActive(name: string | undefined, options: ChangeOptions = {}): Promise<void> {
    if (name !== undefined) this.#load(this.#require(name).path, false);
    await this.#writeActive(name);
    this.#changed(options, 'persona_activate', name ?? '', { active: name ?? null });
  }

  active(): string | undefined {
    const path = activePersonaFile(this.#workspace);
    if (fileStamp(path, false) === undefined) return undefined;
    let text: string;
    try {
      text = readCharacterText(path, false).trim();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${path}: ${(error as Error).message}`, { source: path });
    }
    if (text === '') return undefined;
    if (!PERSONA_NAME.test(text)) {
      throw new ConfigError(
        `${path}: does not hold a persona name`,
        { source: path },
        {
          hint: 'set it with `oxydra persona use <name>` (or `--none`)',
        },
      );
    }
    return text;
  }

  loadActive(): LoadedPersona | undefined {
    const name = this.active();
    if (name === undefined) return undefined;
    const found = this.#find(name);
    if (!found) {
      throw new ConfigError(
        `the active persona "${name}" (${activePersonaFile(this.#workspace)}) does not exist any more`,
        { source: activePersonaFile(this.#workspace) },
        { hint: 'choose another with `oxydra persona use <name>`, or `oxydra persona use --none`' },
      );
    }
    return this.#load(found.path, false);
  }

  resolve(ref: string, keyPath: string): LoadedPersona {
    if (PERSONA_NAME.test(ref)) {
      const found = this.#find(ref);
      if (found) return this.#load(found.path, false);
    }
    const home = this.#env.HOME || undefined;
    const expanded =
      home !== undefined && (ref === '~' || ref.startsWith('~/')) ? join(home, ref.slice(1)) : ref;
    const own = isAbsolute(expanded);
    const path = own ? expanded : resolve(this.#workspace, expanded);
    if (characterFormat(path) !== undefined && fileStamp(path, true) !== undefined) {
      try {
        // A relative path is the workspace's: read at its real path, which must stay inside (a
        // repository's `zoey.json` linked to a file of yours is refused). An absolute or `~`
        // path is one you wrote (the workspace's are held back until trusted): a link is followed.
        return own ? this.#load(path, true) : this.#load(this.#realInside(path, keyPath), false);
      } catch (error) {
        if (error instanceof ConfigError) {
          throw new ConfigError(
            `${keyPath}: ${error.message}`,
            { ...error.location, keyPath },
            {
              cause: error,
              ...(error.hint !== undefined ? { hint: error.hint } : {}),
            },
          );
        }
        throw error;
      }
    }
    const known = this.list().map((p) => p.name);
    throw new ConfigError(
      `${keyPath} = "${ref}": no persona of that name${didYouMean(ref, known)} (known: ${known.join(', ') || 'none'}) and no character file ${path}`,
      { keyPath },
      { hint: 'see `oxydra persona list`, or give the path of a .json or .toml character file' },
    );
  }

  /** The real path of a workspace file, refused when it leads out of the workspace. */
  #realInside(path: string, keyPath: string): string {
    // Gone since it was seen: reading it (no link followed) says what is wrong.
    const inside = realPathInside(this.#workspace, path);
    if (inside === undefined) return path;
    if ('real' in inside) return inside.real;
    throw new ConfigError(
      `${path}: ${inside.outside}`,
      { source: path, keyPath },
      { hint: `make ${relative(this.#workspace, path)} a plain file of the workspace (a copy, not a link)` },
    );
  }

  #activeOrUndefined(): string | undefined {
    try {
      return this.active();
    } catch {
      return undefined;
    }
  }

  async #writeActive(name: string | undefined): Promise<void> {
    const path = activePersonaFile(this.#workspace);
    if (name === undefined) rmSync(path, { force: true });
    else await writeFileAtomic(path, `${name}\n`);
  }

  /** The new file's text and format: a copied file, an object, or the old file, with fields set. */
  #content(
    name: string,
    change: PersonaChange,
    old: Found | undefined,
  ): { text: string; format: CharacterFormat } {
    let raw: Record<string, unknown>;
    let format: CharacterFormat;
    let text: string | undefined;
    if (change.from !== undefined) {
      const source = characterFormat(change.from);
      if (source === undefined) {
        throw new ConfigError(`${change.from}: a character file must end in .json or .toml`, {
          source: change.from,
        });
      }
      const written = readCharacterText(change.from, true);
      raw = parseCharacterObject(written, source, change.from);
      format = source;
      // Copied as written (comments and all) unless something in it changes.
      text = hasFields(change.set) ? undefined : written;
    } else if (change.character !== undefined) {
      raw = change.character;
      format = 'json';
    } else if (old !== undefined) {
      raw = parseCharacterObject(readCharacterText(old.path, false), old.format, old.path);
      format = old.format;
    } else {
      raw = {};
      format = 'json';
    }
    raw = applyFields(raw, change.set);
    if (raw.name === undefined) {
      raw = { name, ...raw };
      text = undefined;
    }
    text ??= serialize(raw, format);
    // Validated as it will be read back, before anything is written.
    parseCharacterText(text, format, join(this.#dir(old?.scope ?? 'workspace'), `${name}.${format}`));
    return { text, format };
  }

  #info(found: Found): PersonaInfo {
    let displayName: string | undefined;
    try {
      displayName = this.#load(found.path, false).character.name;
    } catch {
      displayName = undefined;
    }
    return {
      ...found,
      ...(displayName !== undefined ? { displayName } : {}),
      active: this.#activeOrUndefined() === found.name,
    };
  }

  #changed(options: ChangeOptions, type: string, name: string, data: Record<string, unknown>): void {
    this.#options.onChange?.();
    this.#options.audit?.(
      options.actor ?? this.#options.actor ?? 'cli',
      type,
      { name, ...data },
      `persona:${name}`,
    );
  }
}

function hasFields(set: PersonaFields | undefined): boolean {
  return set !== undefined && Object.values(set).some((value) => value !== undefined);
}
