export {
  FakeDiscord,
  type FakeDiscordMessage,
  type FakeDiscordOptions,
  type FakeFile,
} from './fake-discord.js';
export { messageBase } from './state.js';
export type * from './types.js';
