import t from 'tap';
import { DRILL_NAMES, planDrill, roundSeed } from '../../../scripts/drill/drill-plan.js';
import { type DrillReport, renderTotals, totals } from '../../../scripts/drill/drill-report.js';
import {
  acknowledgedWritesPresent,
  historyLinearizable,
  informerInOrder,
  longestGapMs,
  noPodBoundTwice,
  replicasIdentical,
  watchExactlyOnceInOrder,
} from '../../../scripts/drill/verdicts.js';

t.test('an acknowledged write that does not read back fails the verdict, naming it', async (t) => {
  const acked = new Map([
    ['a', '1'],
    ['b', '2'],
  ]);
  t.ok(
    acknowledgedWritesPresent(
      'w',
      acked,
      new Map([
        ['a', '1'],
        ['b', '2'],
        ['c', '9'],
      ]),
    ).pass,
    'extra keys are fine',
  );
  const lost = acknowledgedWritesPresent('w', acked, new Map([['a', '1']]));
  t.notOk(lost.pass);
  t.match(lost.detail, /1 of 2 acknowledged writes lost: b \(missing\)/);
  t.ok(
    acknowledgedWritesPresent(
      'w',
      acked,
      new Map([
        ['a', '1'],
        ['b', '3'],
      ]),
      new Map([['b', ['3']]]),
    ).pass,
    'a later unacknowledged write may have won',
  );
});

t.test('a stale read in the history is reported as not linearizable', async (t) => {
  const ok = historyLinearizable([
    { clientId: 1, input: { op: 'put', key: 'k', value: 'x' }, call: 0, return: 1, output: { ok: true } },
    { clientId: 2, input: { op: 'get', key: 'k' }, call: 2, return: 3, output: { value: 'x' } },
  ]);
  t.ok(ok.pass, ok.detail);
  const stale = historyLinearizable([
    { clientId: 1, input: { op: 'put', key: 'k', value: 'x' }, call: 0, return: 1, output: { ok: true } },
    { clientId: 2, input: { op: 'get', key: 'k' }, call: 2, return: 3, output: { value: null } },
  ]);
  t.notOk(stale.pass);
  t.match(stale.detail, /NOT linearizable/);
});

t.test('a watch that repeats, reorders or misses an acknowledged change fails', async (t) => {
  const acked = [
    { key: 'a', rv: 5 },
    { key: 'b', rv: 7 },
  ];
  t.ok(
    watchExactlyOnceInOrder(
      'w',
      [
        { key: 'a', rv: 5 },
        { key: 'x', rv: 6 },
        { key: 'b', rv: 7 },
      ],
      acked,
    ).pass,
  );
  t.match(
    watchExactlyOnceInOrder(
      'w',
      [
        { key: 'a', rv: 5 },
        { key: 'a', rv: 5 },
        { key: 'b', rv: 7 },
      ],
      acked,
    ).detail,
    /out of order or repeated/,
  );
  t.notOk(
    watchExactlyOnceInOrder(
      'w',
      [
        { key: 'b', rv: 7 },
        { key: 'a', rv: 5 },
      ],
      acked,
    ).pass,
  );
  const missed = watchExactlyOnceInOrder('w', [{ key: 'a', rv: 5 }], acked);
  t.notOk(missed.pass);
  t.match(missed.detail, /never seen: b@7/);
  const relisted = watchExactlyOnceInOrder('w', [{ key: 'a', rv: 5 }], acked, ['410'], [{ key: 'b', rv: 7 }]);
  t.ok(relisted.pass, 'after a 410 a relist that shows the change covers it');
  t.match(relisted.detail, /1 acknowledged changes seen through a relist only/);
});

t.test('an informer whose cache ends unlike the server fails', async (t) => {
  const seen = [
    { key: 'a', rv: 1 },
    { key: 'a', rv: 3 },
  ];
  t.ok(informerInOrder('i', seen, new Map([['a', 3]]), new Map([['a', 3]])).pass);
  t.notOk(informerInOrder('i', seen, new Map([['a', 1]]), new Map([['a', 3]])).pass);
  t.notOk(informerInOrder('i', [...seen, { key: 'a', rv: 2 }], new Map([['a', 3]]), new Map([['a', 3]])).pass, 'a version going back');
});

t.test('a pod seen on two nodes fails; the same node twice does not', async (t) => {
  t.ok(
    noPodBoundTwice([
      { pod: 'p', uid: 'u', node: 'n1' },
      { pod: 'p', uid: 'u', node: 'n1' },
    ]).pass,
  );
  t.notOk(
    noPodBoundTwice([
      { pod: 'p', uid: 'u', node: 'n1' },
      { pod: 'p', uid: 'u', node: 'n2' },
    ]).pass,
  );
});

t.test('replicas pass only with one hash at one revision from every replica', async (t) => {
  t.ok(
    replicasIdentical([
      { endpoint: 'a', hash: 1, revision: 9 },
      { endpoint: 'b', hash: 1, revision: 9 },
    ]).pass,
  );
  t.notOk(
    replicasIdentical([
      { endpoint: 'a', hash: 1, revision: 9 },
      { endpoint: 'b', hash: 2, revision: 9 },
    ]).pass,
  );
  t.notOk(
    replicasIdentical([
      { endpoint: 'a', hash: 1, revision: 9 },
      { endpoint: 'b', error: 'down' },
    ]).pass,
  );
});

t.test('unavailability is the longest stretch without a successful write, edges included', async (t) => {
  t.equal(longestGapMs([10, 20, 60, 70], 0, 100), 40);
  t.equal(longestGapMs([], 0, 100), 100);
  t.equal(longestGapMs([5], 0, 100), 95);
});

t.test('one seed gives one plan; other seeds vary the timing within bounds', async (t) => {
  for (const name of DRILL_NAMES) t.same(planDrill(name, 7), planDrill(name, 7));
  const plans = [1, 2, 3, 4, 5].map((s) => planDrill('torn-wal', s, { warmupMs: 1000, faultMs: 2000, settleMs: 1000, convergeLimitMs: 5000 }));
  t.ok(new Set(plans.map((p) => p.faultMs)).size > 1, 'fault times differ across seeds');
  for (const p of plans) {
    t.ok(p.faultMs >= 2000 && p.faultMs <= 3000, `fault ${p.faultMs} ms within [2000, 3000]`);
    t.ok(p.tailCutBytes >= 1 && p.tailCutBytes <= 64);
  }
  t.not(roundSeed(1, 0, 1), roundSeed(1, 1, 1));
});

t.test('totals add operations and count lost writes and violations across reports', async (t) => {
  const base = { seed: 1, plan: planDrill('kill-node', 1), timeline: [], durationMs: 1 };
  const reports: DrillReport[] = [
    {
      ...base,
      name: 'a',
      store: { ok: 10, failed: 1, writeUnavailableMs: 300 },
      api: { ok: 5, failed: 0, writeUnavailableMs: 900 },
      verdicts: [{ name: 'store history linearizable', pass: false, detail: '' }],
      convergeMs: 1000,
      pass: false,
    },
    {
      ...base,
      name: 'b',
      store: { ok: 1, failed: 0, writeUnavailableMs: 100 },
      api: { ok: 1, failed: 0, writeUnavailableMs: 0 },
      verdicts: [{ name: 'no acknowledged store write lost', pass: false, detail: '3 of 9 acknowledged writes lost: x' }],
      convergeMs: 4000,
      pass: false,
    },
  ];
  const tot = totals(reports);
  t.same(tot, {
    drills: 2,
    failedDrills: 2,
    operations: 18,
    failedOperations: 1,
    acknowledgedWritesLost: 3,
    linearizabilityViolations: 1,
    longestUnavailableMs: 900,
    longestConvergeMs: 4000,
  });
  t.match(renderTotals(tot, 'npx picokube drill all'), /\| 2 \| 2 \| 18 \| 1 \| 3 \| 1 \| 0.90 s \| 4.00 s \|/);
});
