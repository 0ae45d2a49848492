import { spawnSync } from 'node:child_process';
import t from 'tap';

t.test('npm run sim replays seeds and ends with the seeds=N violations=V line', async (t) => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'raft/sim/cli.ts', '--seeds', '3', '--start', '7'], { encoding: 'utf8' });
  t.equal(res.status, 0, res.stderr);
  t.match(res.stdout.trim().split('\n').pop() ?? '', /^seeds=3 violations=0 /);
});

t.test('--seed replays one seed and prints what happened in it', async (t) => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'raft/sim/cli.ts', '--seed', '12', '--replicas', '5'], { encoding: 'utf8' });
  t.equal(res.status, 0, res.stderr);
  t.match(res.stdout, /seed 12: ok \{"events":\d+/);
  t.match(res.stdout, /seeds=1 violations=0/);
});
