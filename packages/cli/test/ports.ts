/** A TCP port on 127.0.0.1 that was free a moment ago: the testkit's, under the name the CLI tests import. */
export { freePort } from '@oxydra/testkit/helpers';
