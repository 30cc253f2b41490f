/**
 * The one template that turns a character into system-prompt text (docs/personas.md shows it
 * verbatim). ZoeyOS and ElizaOS sample bio, lore and examples at random for
 * each message; this takes the first items up to fixed caps instead, so the same character
 * always gives the same prompt (the provider's prompt cache keeps working) and a huge character
 * file cannot crowd out the task.
 */
import type { Character, CharacterMessage } from './character.js';

/** How many of each list the prompt takes (the first ones), and how long one item may be. */
export const PERSONA_CAPS = {
  bio: 10,
  lore: 10,
  adjectives: 10,
  topics: 20,
  knowledge: 20,
  style: 10,
  conversations: 3,
  messages: 8,
  itemChars: 400,
  systemChars: 4000,
  totalChars: 16000,
} as const;

/** One line: whitespace collapsed, cut at `max` characters with an ellipsis. */
function line(text: string, max: number = PERSONA_CAPS.itemChars): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/** ElizaOS placeholders, made deterministic: {{agentName}} is the character, {{userN}} a user. */
function placeholders(text: string, name: string): string {
  return text
    .replace(/\{\{\s*(agentName|name|char)\s*\}\}/g, name)
    .replace(/\{\{\s*user(\d*)\s*\}\}/g, (_, n: string) => (n === '' || n === '1' ? 'User' : `User ${n}`));
}

/** A full stop, unless the text ends in one already ("Ada L." is not followed by another). */
const sentence = (text: string) => (/[.!?…]$/.test(text) ? text : `${text}.`);

function items(list: readonly string[], cap: number, name: string): string[] {
  return list
    .slice(0, cap)
    .map((item) => line(placeholders(item, name)))
    .filter((item) => item !== '');
}

function bullets(title: string, list: readonly string[]): string | undefined {
  return list.length === 0 ? undefined : `${title}\n${list.map((item) => `- ${item}`).join('\n')}`;
}

function conversation(messages: readonly CharacterMessage[], name: string): string {
  return messages
    .slice(0, PERSONA_CAPS.messages)
    .map((m) => `${line(placeholders(m.name, name), 60)}: ${line(placeholders(m.text, name))}`)
    .join('\n');
}

/** The persona text for the system prompt (placed after its opening line). */
export function renderPersona(character: Character): string {
  const name = line(character.name, 100);
  const username = character.username ? line(character.username, 60) : undefined;
  const system = character.system?.trim()
    ? placeholders(character.system.trim(), name).slice(0, PERSONA_CAPS.systemChars)
    : undefined;
  const adjectives = items(character.adjectives, PERSONA_CAPS.adjectives, name);
  const topics = items(character.topics, PERSONA_CAPS.topics, name);
  const style = [
    ...items(character.style.all, PERSONA_CAPS.style, name),
    ...items(character.style.chat, PERSONA_CAPS.style, name),
  ];
  const examples = character.messageExamples
    .slice(0, PERSONA_CAPS.conversations)
    .map((messages) => conversation(messages, name));
  const sections = [
    `${sentence(`Persona: you speak and act as ${name}${username ? ` (@${username})` : ''}`)} Keep ${name}'s voice, manner and knowledge in everything you write; the rules below still apply.`,
    system,
    bullets(`About ${name}:`, items(character.bio, PERSONA_CAPS.bio, name)),
    bullets('Background:', items(character.lore, PERSONA_CAPS.lore, name)),
    adjectives.length > 0 ? sentence(`${name} is ${adjectives.join(', ')}`) : undefined,
    topics.length > 0 ? sentence(`Topics ${name} knows well: ${topics.join(', ')}`) : undefined,
    bullets(`What ${name} knows:`, items(character.knowledge, PERSONA_CAPS.knowledge, name)),
    bullets('Style:', style),
    examples.length > 0
      ? `Example conversations (how ${name} talks; not part of this conversation):\n${examples.join('\n\n')}`
      : undefined,
  ];
  const text = sections.filter((section): section is string => section !== undefined).join('\n\n');
  if (text.length <= PERSONA_CAPS.totalChars) return text;
  const cut = text.lastIndexOf('\n', PERSONA_CAPS.totalChars);
  return `${text.slice(0, cut > 0 ? cut : PERSONA_CAPS.totalChars)}\n(persona cut at ${PERSONA_CAPS.totalChars} characters)`;
}
