export { FakeBotApi, type FakeBotApiOptions, type FakeMessage } from './fake-bot-api.js';
export type * from './types.js';
