/**
 * A character: who an agent is (ZoeyOS `Character`, spec/originals.md C.4). Accepts ZoeyOS's
 * camelCase JSON and the ElizaOS character files it comes from, unchanged: `bio` a string or a
 * list, message examples as `{name, text}` or `{user|name, content: {text}}`, knowledge entries
 * that are file or folder references (skipped, with a note). Keys this reader does not use
 * (plugins, clients, modelProvider, settings and its secrets, templates) are dropped here, so
 * nothing past this point can put them in a prompt. Only `name` is required.
 */
import { ConfigError } from '@oxydra/types';
import { z } from 'zod';

export interface CharacterStyle {
  all: string[];
  chat: string[];
  post: string[];
}

export interface CharacterMessage {
  name: string;
  text: string;
}

export interface Character {
  name: string;
  username?: string;
  /** ElizaOS's own system prompt for the character. */
  system?: string;
  bio: string[];
  lore: string[];
  knowledge: string[];
  topics: string[];
  adjectives: string[];
  style: CharacterStyle;
  messageExamples: CharacterMessage[][];
  postExamples: string[];
}

export interface ParsedCharacter {
  character: Character;
  /** What was read but left out (a knowledge file reference, a message without text). */
  notes: string[];
}

const str = z.string({ error: 'must be a string' });
/** A string or a list of strings (ElizaOS writes a one-line bio as a string). */
const texts = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(str, { error: 'must be a string or a list of strings' }),
);
const message = z.object(
  {
    name: str.optional(),
    user: str.optional(),
    text: str.optional(),
    content: z.object({ text: str.optional() }, { error: 'must be an object with text' }).optional(),
  },
  { error: 'must be a message: {name, text} or {user, content: {text}}' },
);
const characterSchema = z.object(
  {
    name: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, { error: 'must not be empty' }),
    username: str.optional(),
    system: str.optional(),
    bio: texts.optional(),
    lore: texts.optional(),
    topics: texts.optional(),
    adjectives: texts.optional(),
    postExamples: texts.optional(),
    knowledge: z
      .preprocess(
        (value) => (typeof value === 'string' ? [value] : value),
        z.array(z.unknown(), { error: 'must be a list' }),
      )
      .optional(),
    style: z
      .object(
        { all: texts.optional(), chat: texts.optional(), post: texts.optional() },
        { error: 'must be an object with all, chat and post lists' },
      )
      .optional(),
    messageExamples: z
      .array(z.array(message, { error: 'each conversation must be a list of messages' }), {
        error: 'must be a list of conversations (lists of messages)',
      })
      .optional(),
  },
  { error: 'must be a JSON object (or a TOML table) describing a character' },
);

/** TOML writers tend to snake_case: accept both spellings of the two-word keys. */
const ALIASES: Record<string, string> = {
  message_examples: 'messageExamples',
  post_examples: 'postExamples',
};

function withAliases(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [snake, camel] of Object.entries(ALIASES)) {
    if (copy[camel] === undefined && copy[snake] !== undefined) copy[camel] = copy[snake];
  }
  return copy;
}

/** `bio[2]`, `style.chat[0]`, `messageExamples[0][1].text`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/**
 * Validates a character read from `source` (a file path, for the error). Throws a ConfigError of
 * one line naming the file and the field.
 */
export function parseCharacter(raw: unknown, source: string): ParsedCharacter {
  const result = characterSchema.safeParse(withAliases(raw));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = fieldPath(issue.path);
    throw new ConfigError(
      `${source}: ${field === '' ? 'the character' : field} ${issue.message}`,
      { source, ...(field !== '' ? { keyPath: field } : {}) },
      { hint: 'a character needs at least "name"; see the Personas page of the docs (docs/personas.md)' },
    );
  }
  const data = result.data;
  const notes: string[] = [];
  const knowledge: string[] = [];
  (data.knowledge ?? []).forEach((entry, i) => {
    if (typeof entry === 'string') knowledge.push(entry);
    else notes.push(`knowledge[${i}] is not text (a file or folder reference?): left out`);
  });
  const messageExamples = (data.messageExamples ?? []).map((conversation, c) =>
    conversation.flatMap((entry, m) => {
      const text = entry.text ?? entry.content?.text;
      const name = entry.name ?? entry.user;
      if (text === undefined || name === undefined) {
        notes.push(`messageExamples[${c}][${m}] has no ${name === undefined ? 'name' : 'text'}: left out`);
        return [];
      }
      return [{ name, text }];
    }),
  );
  return {
    character: {
      name: data.name,
      ...(data.username !== undefined ? { username: data.username } : {}),
      ...(data.system !== undefined ? { system: data.system } : {}),
      bio: data.bio ?? [],
      lore: data.lore ?? [],
      knowledge,
      topics: data.topics ?? [],
      adjectives: data.adjectives ?? [],
      style: { all: data.style?.all ?? [], chat: data.style?.chat ?? [], post: data.style?.post ?? [] },
      messageExamples: messageExamples.filter((conversation) => conversation.length > 0),
      postExamples: data.postExamples ?? [],
    },
    notes,
  };
}
