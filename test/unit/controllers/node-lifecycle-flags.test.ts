import t from 'tap';
import { parseControllerManagerFlags } from '../../../controllers/main.js';
import { parseDurationMs } from '../../../controllers/node-lifecycle-flags.js';

t.test('the node lifecycle flags default to kube’s values', async (t) => {
  t.same(parseControllerManagerFlags([]).nodeLifecycle, {
    gracePeriodMs: 50_000,
    evictionRate: 0.1,
    secondaryEvictionRate: 0.01,
    unhealthyZoneThreshold: 0.55,
    largeClusterSizeThreshold: 50,
  });
});

t.test('the node lifecycle flags are parsed and checked', async (t) => {
  const f = parseControllerManagerFlags([
    '--node-monitor-grace-period',
    '4s',
    '--node-eviction-rate',
    '2',
    '--unhealthy-zone-threshold',
    '0.7',
    '--large-cluster-size-threshold',
    '10',
  ]);
  t.match(f.nodeLifecycle, { gracePeriodMs: 4000, evictionRate: 2, unhealthyZoneThreshold: 0.7, largeClusterSizeThreshold: 10 });
  t.throws(() => parseControllerManagerFlags(['--node-monitor-grace-period', '4']), /--node-monitor-grace-period must be a duration/);
  t.throws(() => parseControllerManagerFlags(['--node-eviction-rate', '-1']), /--node-eviction-rate/);
  t.throws(() => parseControllerManagerFlags(['--unhealthy-zone-threshold', '2']), /between 0 and 1/);
});

t.test('Go durations are read as kube’s flags read them', async (t) => {
  t.equal(parseDurationMs('50s', 'x'), 50_000);
  t.equal(parseDurationMs('1m30s', 'x'), 90_000);
  t.equal(parseDurationMs('500ms', 'x'), 500);
  t.equal(parseDurationMs('1.5h', 'x'), 5_400_000);
  t.throws(() => parseDurationMs('', 'x'));
  t.throws(() => parseDurationMs('5 s', 'x'));
});
