/**
 * `oxydra persona list|show|create|update|delete|use`: the character files that shape agents'
 * system prompts (Oxios's persona operations), through the kernel's persona store without
 * opening a kernel. Each change is recorded in the workspace's audit chain (a warning when the
 * chain cannot be written: the change itself is made either way, as with `oxydra init`).
 */
import { resolve } from 'node:path';

import {
  type PersonaChange,
  type PersonaDetail,
  type PersonaFields,
  type PersonaInfo,
  type PersonaStore,
  personaStore,
} from '@oxydra/kernel/personas';
import { UsageError, visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { agentWorkspace, loadCliConfig } from '../run/load-config.js';
import { printBody, printLines } from '../run/print.js';

/** The flags create and update share; the lists are repeatable and replace the file's list. */
export interface PersonaFieldFlags {
  from?: string;
  displayName?: string;
  username?: string;
  system?: string;
  bio?: string[];
  lore?: string[];
  knowledge?: string[];
  topic?: string[];
  adjective?: string[];
  style?: string[];
  chatStyle?: string[];
}

type Entry = [actor: string, type: string, data: Record<string, unknown>, resource: string];

/** The store of the current workspace, and what its changes asked to be audited. */
function open(): { store: PersonaStore; entries: Entry[] } {
  const entries: Entry[] = [];
  const store = personaStore(agentWorkspace(), process.env, {
    actor: 'cli',
    audit: (...entry) => entries.push(entry),
  });
  return { store, entries };
}

async function recordChanges(entries: Entry[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    const { withWorkspaceServices } = await import('../run/workspace-services.js');
    await withWorkspaceServices(['audit'], async ({ audit }) => {
      for (const entry of entries) await audit.record(...entry);
    });
  } catch (error) {
    process.stderr.write(
      `warning: could not record the change in the audit chain: ${(error as Error).message}\n`,
    );
  }
}

function change(flags: PersonaFieldFlags): PersonaChange {
  const set: PersonaFields = {
    ...(flags.displayName !== undefined ? { name: flags.displayName } : {}),
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(flags.system !== undefined ? { system: flags.system } : {}),
    ...(flags.bio ? { bio: flags.bio } : {}),
    ...(flags.lore ? { lore: flags.lore } : {}),
    ...(flags.knowledge ? { knowledge: flags.knowledge } : {}),
    ...(flags.topic ? { topics: flags.topic } : {}),
    ...(flags.adjective ? { adjectives: flags.adjective } : {}),
    ...(flags.style || flags.chatStyle
      ? {
          style: {
            ...(flags.style ? { all: flags.style } : {}),
            ...(flags.chatStyle ? { chat: flags.chatStyle } : {}),
          },
        }
      : {}),
  };
  return {
    ...(flags.from !== undefined ? { from: resolve(flags.from) } : {}),
    ...(Object.keys(set).length > 0 ? { set } : {}),
  };
}

function writeNotes(detail: { notes: string[] }): void {
  for (const note of detail.notes) printLines(`note: ${visibleLine(note)}\n`, process.stderr);
}

const describe = (info: PersonaInfo) =>
  `${info.name}${info.displayName && info.displayName !== info.name ? ` (${info.displayName})` : ''}`;

export async function runPersonaList(options: { json?: boolean }): Promise<number> {
  const personas = open().store.list();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(personas, null, 2)}\n`);
    return EXIT_OK;
  }
  if (personas.length === 0) {
    process.stdout.write(
      'no personas: create one with `oxydra persona create <name> --from <character.json|.toml>`\n',
    );
    return EXIT_OK;
  }
  const width = Math.max(...personas.map((p) => p.name.length));
  for (const p of personas) {
    // A character file's display name is its author's (a cloned repository's): made visible.
    const what = p.problem !== undefined ? `UNUSABLE: ${p.problem}` : (p.displayName ?? '');
    printLines(
      `${p.active ? '*' : ' '} ${p.name.padEnd(width)}  ${p.scope.padEnd(9)}  ${visibleLine(what)}\n`,
    );
  }
  return EXIT_OK;
}

export async function runPersonaShow(name: string, options: { json?: boolean }): Promise<number> {
  const detail: PersonaDetail = open().store.show(name);
  if (options.json) {
    const { stamp: _stamp, ...shown } = detail;
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows: [string, string][] = [
    ['persona', `${detail.name}${detail.active ? ' (active)' : ''}`],
    ['name', detail.character.name],
    ['file', `${detail.path} (${detail.scope})`],
    ...detail.notes.map((note): [string, string] => ['note', note]),
  ];
  for (const [key, value] of rows) printLines(`${key.padEnd(9)}${visibleLine(value)}\n`);
  printBody(`\nIn the system prompt:\n\n${detail.prompt}\n`);
  return EXIT_OK;
}

export async function runPersonaCreate(
  name: string,
  options: PersonaFieldFlags & { user?: boolean },
): Promise<number> {
  const { store, entries } = open();
  const info = await store.create(name, change(options), { scope: options.user ? 'user' : 'workspace' });
  await recordChanges(entries);
  writeNotes(store.show(name));
  printLines(`created persona ${visibleLine(describe(info))}: ${info.path}\n`);
  return EXIT_OK;
}

export async function runPersonaUpdate(name: string, options: PersonaFieldFlags): Promise<number> {
  const { store, entries } = open();
  const info = await store.update(name, change(options));
  await recordChanges(entries);
  writeNotes(store.show(name));
  printLines(`updated persona ${visibleLine(describe(info))}: ${info.path}\n`);
  return EXIT_OK;
}

export async function runPersonaDelete(name: string, options: { user?: boolean }): Promise<number> {
  const { store, entries } = open();
  const info = await store.delete(name, options.user ? { scope: 'user' } : {});
  await recordChanges(entries);
  printLines(`deleted persona ${visibleLine(describe(info))}: ${info.path}\n`);
  const uncovered = store.list().find((p) => p.name === name);
  if (uncovered)
    process.stdout.write(`the ${uncovered.scope} persona ${name} applies now: ${uncovered.path}\n`);
  else if (info.active) process.stdout.write('it was the active persona: none is active now\n');
  return EXIT_OK;
}

export async function runPersonaUse(name: string | undefined, options: { none?: boolean }): Promise<number> {
  if ((name === undefined) === (options.none !== true)) {
    throw new UsageError(
      name === undefined
        ? 'name the persona to use, or give --none'
        : 'give a persona name or --none, not both',
      { hint: 'e.g. oxydra persona use pirate; oxydra persona use --none' },
    );
  }
  const { store, entries } = open();
  await store.setActive(name);
  await recordChanges(entries);
  if (name === undefined) process.stdout.write('no active persona: the default agent speaks as itself\n');
  else
    printLines(
      `${name} is the active persona: the default agent speaks as ${visibleLine(store.show(name).character.name)}\n`,
    );
  try {
    const { config } = await loadCliConfig();
    if (config.persona !== undefined) {
      process.stderr.write(
        `note: the configuration sets persona = "${config.persona}", which the default agent uses instead\n`,
      );
    }
  } catch {
    // A configuration that does not load says so when an agent runs; the choice is stored.
  }
  return EXIT_OK;
}
