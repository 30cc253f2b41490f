/** The libSQL ChannelStore against the shared contract, a fresh file per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChannelStore } from '@oxydra/channels';
import { channelStoreContract } from '@oxydra/testkit/store-contracts';

channelStoreContract(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-channels-'));
  const store = openChannelStore(join(dir, 'channels.db'));
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
