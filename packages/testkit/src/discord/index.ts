export {
  FakeDiscord,
  type FakeDiscordMessage,
  type FakeDiscordOptions,
  type FakeFile,
} from './fake-discord.js';
export type * from './types.js';
