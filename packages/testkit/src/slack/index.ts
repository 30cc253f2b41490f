export * from './fake-slack.js';
export { postSignedToApp, type SignedPostOptions, slackSignature } from './signing.js';
export { type FakeEnvelope, FakeSocketMode, type FakeSocketModeOptions } from './socket-mode.js';
