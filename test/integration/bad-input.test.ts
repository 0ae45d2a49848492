import t from 'tap';
import { formatReport, runBadInputCampaign } from '../../scripts/bad-input-campaign.js';
import { KubeCluster } from '../helpers/kube-cluster.js';

/**
 * The bad-input campaign, bounded for CI: twelve hundred malformed requests of every category
 * and a handful of slow connections against a real apiserver on a real 3-replica store. Nothing
 * may crash, every answer must be a well-formed 4xx Status, and nothing may be written.
 */
t.test('a live apiserver refuses over a thousand malformed requests with 4xx Statuses, writes nothing and keeps serving', async (t) => {
  const cluster = await KubeCluster.start();
  t.teardown(() => cluster.stop(!t.passing()));

  const report = await runBadInputCampaign({
    server: cluster.url,
    store: cluster.store.endpoints,
    count: 1200,
    seed: 20261127,
    concurrency: 6,
    slowConnections: 20,
    slowMs: 2000,
  });
  t.comment(formatReport(report));

  t.equal(report.campaign.sent, 1200, 'every request was sent');
  t.same(report.campaign.violations, [], 'every answer is a well-formed Status under 500 (4xx where the request must be refused)');
  t.notOk('500' in report.campaign.byCode, 'no request made the apiserver fail');
  t.ok((report.campaign.byCode['413'] ?? 0) > 0, 'bodies over 3 MiB were answered 413');
  t.ok((report.campaign.byCode['422'] ?? 0) > 0, 'invalid objects were answered 422');
  t.ok((report.campaign.byCode['431'] ?? 0) > 0, 'oversized headers were answered 431 with a Status');
  t.equal(report.storeRevisionAfter, report.storeRevisionBefore, "the store's revision did not move: nothing was written");
  t.ok(report.slowLoris.servedMeanwhile > 0 && report.slowLoris.failedMeanwhile === 0, 'normal requests were served while slow connections were held open');
  t.ok(report.servesAfterwards, 'a normal create succeeds after the campaign');
  t.equal(cluster.apiserver(0).proc?.exitCode, null, 'the apiserver process is still running');
  t.ok(report.ok, 'the campaign passes');
});
