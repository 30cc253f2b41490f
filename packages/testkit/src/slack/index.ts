export * from './fake-slack.js';
export { type FakeEnvelope, FakeSocketMode } from './socket-mode.js';
export { postSignedToApp, type SignedPostOptions, slackSignature } from './signing.js';
