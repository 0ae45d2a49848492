import t from 'tap';
import { UsageError, defaultStorePorts, parseUpOptions } from '../../../scripts/launcher/options.js';

t.test('up takes the store replica count and the control plane copies, leaving absent ones to the record', async (t) => {
  const o = parseUpOptions(['--replicas', '5', '--apiservers', '2', '--schedulers', '2', '--controller-managers', '3']);
  t.equal(o.replicas, 5);
  t.equal(o.apiservers, 2);
  t.equal(o.schedulers, 2);
  t.equal(o.controllerManagers, 3);
  const bare = parseUpOptions([]);
  for (const k of ['replicas', 'apiservers', 'schedulers', 'controllerManagers', 'storePorts'] as const) t.notOk(k in bare, `${k} is absent when not given`);
});

t.test('--store-ports takes 3 or 5 ports, and exactly --replicas many when both are given', async (t) => {
  t.same(parseUpOptions(['--store-ports', '3001,3011,3021,3031,3041']).storePorts, [3001, 3011, 3021, 3031, 3041]);
  t.same(parseUpOptions(['--replicas', '5', '--store-ports', '3001,3011,3021,3031,3041']).storePorts, [3001, 3011, 3021, 3031, 3041]);
  t.throws(() => parseUpOptions(['--replicas', '5', '--store-ports', '3001,3011,3021']), /expected 5 ports .*--replicas 5.*got 3/);
  t.throws(() => parseUpOptions(['--store-ports', '3001,3011,3021,3031']), /expected 3 ports/);
});

t.test('bad counts are usage errors that name the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--replicas', '4'], /--replicas: expected 3 or 5/],
    [['--replicas', '1'], /--replicas: expected 3 or 5/],
    [['--apiservers', '0'], /--apiservers: expected a number from 1 to 9/],
    [['--schedulers', 'two'], /--schedulers: expected a number from 1 to 9/],
    [['--controller-managers', '10'], /--controller-managers: expected a number from 1 to 9/],
  ];
  for (const [argv, says] of cases) {
    t.throws(() => parseUpOptions(argv), UsageError, argv.join(' '));
    t.throws(() => parseUpOptions(argv), says, argv.join(' '));
  }
});

t.test('the default store ports are 2379 and every tenth port above, one per replica', async (t) => {
  t.same(defaultStorePorts(3), [2379, 2389, 2399]);
  t.same(defaultStorePorts(5), [2379, 2389, 2399, 2409, 2419]);
});
