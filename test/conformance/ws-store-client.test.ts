import t from 'tap';
import { StoreCluster } from '../helpers/store-cluster.js';
import { PROGRESS_NOTIFY_INTERVAL_MS, storeClientConformance } from './store-client.conformance.js';

/**
 * The store client suite against the real thing: WsStoreClient on a cluster of three replica
 * processes. One cluster serves every case (each case keeps to its own key prefix); each case
 * gets a client of its own.
 */

const cluster = await StoreCluster.start(3, ['--watch-progress-notify-interval-ms', String(PROGRESS_NOTIFY_INTERVAL_MS)]);
t.teardown(() => cluster.stop(!t.passing()));

storeClientConformance(t, 'ws store client on a 3-replica cluster', async () => {
  const client = cluster.client();
  return { client, close: () => client.close() };
});
