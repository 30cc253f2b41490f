export * from './fake-slack.js';
export { postSignedToApp, type SignedPostOptions, slackSignature } from './signing.js';
export { type FakeEnvelope, FakeSocketMode } from './socket-mode.js';
