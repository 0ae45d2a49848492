import { Registry } from 'prom-client';
import t from 'tap';
import { FakeClock } from '../../../kube/clock.js';
import { FlagError } from '../../../kube/component/component-flags.js';
import { parseSchedulerFlags } from '../../../scheduler/main.js';
import { PromSchedulerMetrics } from '../../../scheduler/metrics.js';
import { SchedulingQueue } from '../../../scheduler/queue/scheduling-queue.js';
import { podInfo } from './fixtures.js';

t.test('the scheduler flags default as kube-scheduler does', async (t) => {
  t.same(parseSchedulerFlags(['--apiserver', 'http://127.0.0.1:6443']), {
    apiserver: 'http://127.0.0.1:6443',
    kubeconfig: undefined,
    port: 10259,
    leaderElect: true,
    schedulerName: 'default-scheduler',
    percentageOfNodesToScore: 0,
    maxBindsInFlight: 64,
    qps: 0,
    burst: 0,
    logLevel: 'info',
    help: false,
  });
});

t.test('flags are read, and --leader-elect takes kube boolean forms', async (t) => {
  const f = parseSchedulerFlags([
    '--kubeconfig',
    '/tmp/k',
    '--port=0',
    '--leader-elect=false',
    '--scheduler-name',
    'my-scheduler',
    '--percentage-of-nodes-to-score',
    '30',
    '--kube-api-qps',
    '100',
    '--log-level',
    'debug',
  ]);
  t.match(f, {
    kubeconfig: '/tmp/k',
    port: 0,
    leaderElect: false,
    schedulerName: 'my-scheduler',
    percentageOfNodesToScore: 30,
    qps: 100,
    burst: 200,
    logLevel: 'debug',
  });
  t.equal(parseSchedulerFlags(['--leader-elect']).leaderElect, true);
  t.equal(parseSchedulerFlags(['--help']).help, true);
});

t.test('bad flags are refused with a message naming the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--port', '70000'], /--port/],
    [['--port', 'x'], /--port/],
    [['--leader-elect=maybe'], /--leader-elect/],
    [['--scheduler-name='], /--scheduler-name/],
    [['--percentage-of-nodes-to-score', '101'], /--percentage-of-nodes-to-score/],
    [['--max-binds-in-flight', '0'], /--max-binds-in-flight/],
    [['--kube-api-qps', '-1'], /--kube-api-qps/],
    [['--bogus'], /bogus/],
  ];
  for (const [argv, re] of cases) t.throws(() => parseSchedulerFlags(argv), { name: 'Error', message: re }, argv.join(' '));
  t.ok(new FlagError('x') instanceof Error);
});

t.test('the metrics carry kube-scheduler series names, and pending pods by queue', async (t) => {
  const registry = new Registry();
  const m = new PromSchedulerMetrics(registry, 'default-scheduler');
  const q = new SchedulingQueue({ clock: new FakeClock() });
  q.add(podInfo('a'));
  q.add(podInfo('b', { gates: ['g'] }));
  m.watchQueue(q);
  m.attempt('scheduled', 0.001);
  m.attempt('unschedulable', 0.002);
  m.podScheduled(0.5, 1);
  m.podScheduled(0.5, 12);
  const text = await registry.metrics();
  t.match(text, /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 1/);
  t.match(text, /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} 1/);
  t.match(text, /scheduler_pod_scheduling_duration_seconds_count\{attempts="1"\} 1/);
  t.match(text, /scheduler_pod_scheduling_duration_seconds_count\{attempts="10\+"\} 1/);
  t.match(text, /scheduler_pending_pods\{queue="active"\} 1/);
  t.match(text, /scheduler_pending_pods\{queue="gated"\} 1/);
  t.match(text, /scheduler_scheduling_attempt_duration_seconds_bucket/);
});
