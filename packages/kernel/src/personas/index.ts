/** Personas: character files shaping an agent's system prompt, and the operations on them. */

export { agentPersona } from './agent-persona.js';
export { type Character, type CharacterMessage, type CharacterStyle, parseCharacter } from './character.js';
export { MAX_CHARACTER_BYTES, readCharacterFile } from './character-file.js';
export {
  type ChangeOptions,
  checkPersonaName,
  type LoadedPersona,
  PERSONA_NAME,
  type PersonaChange,
  type PersonaDetail,
  type PersonaFields,
  type PersonaInfo,
  type PersonaScope,
  type PersonaStore,
  type PersonaStoreOptions,
  personaStore,
} from './store.js';
export { PERSONA_CAPS, renderPersona } from './template.js';
