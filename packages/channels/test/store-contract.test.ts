/** The libSQL ChannelStore against the shared contract, a fresh file per test. */
import { join } from 'node:path';
import { openChannelStore } from '@oxydra/channels';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { channelStoreContract } from '@oxydra/testkit/store-contracts';

channelStoreContract(async () => {
  const scratch = tempWorkspace({ prefix: 'oxydra-channels-' });
  const dir = scratch.dir;
  const store = openChannelStore(join(dir, 'channels.db'));
  return {
    store,
    close: async () => {
      await store.close();
      scratch.cleanup();
    },
  };
});
