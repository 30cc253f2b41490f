/** Personas: character files shaping an agent's system prompt, and the operations on them. */

export { agentPersona } from './agent-persona.js';
export { type Character, type CharacterMessage, type CharacterStyle, parseCharacter } from './character.js';
export { MAX_CHARACTER_BYTES, readCharacterFile } from './character-file.js';
export type {
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
export { checkPersonaName, PERSONA_NAME, personaStore } from './store.js';
export { PERSONA_CAPS, renderPersona } from './template.js';
