/**
 * The ClusterStore contract on PostgreSQL: two pools on one schema stand for two gateway
 * processes, racing claims and reaps through real connections.
 */
import { clusterStoreContract } from '@oxydra/testkit/store-contracts';
import { describePostgres, postgresOpener } from './postgres-helpers.js';

describePostgres('PostgreSQL cluster store', () => {
  clusterStoreContract(postgresOpener((stores) => stores.cluster));
});
