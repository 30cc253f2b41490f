import type { Tool } from '@oxydra/types';
import type { MemoryToolDeps } from './deps.js';
import { noteTools } from './notes-tools.js';
import { scratchpadTools } from './scratchpad-tools.js';

export type { MemoryToolDeps, NoteView } from './deps.js';
export { MAX_TAG_CHARS, MAX_TAGS } from './notes-tools.js';
export {
  MAX_SCRATCHPAD_BYTES,
  MAX_SCRATCHPAD_ITEM_CHARS,
  MAX_SCRATCHPAD_ITEMS,
  SCRATCHPAD_KEY,
} from './scratchpad-tools.js';

/** memory_search/save/update/delete and scratchpad_read/write/clear over one memory database. */
export function createMemoryTools(deps: MemoryToolDeps): Tool[] {
  return [...noteTools(deps), ...scratchpadTools(deps)];
}
