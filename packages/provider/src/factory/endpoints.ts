/** The endpoint rule lives in @oxydra/config (it decides which keys go where); re-exported for callers here. */
export { DEFAULT_BASE_URLS, isHostedEndpoint } from '@oxydra/config';
