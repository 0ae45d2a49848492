import { type ChildProcess, spawn } from 'node:child_process';
import t from 'tap';
import { parseControllerManagerFlags } from '../../../controllers/main.js';
import type { ReplicaSet } from '../../../controllers/workload-types.js';
import { Resources } from '../../../kube/client/resource.js';
import { RestClient } from '../../../kube/client/rest-client.js';
import { FlagError } from '../../../kube/component/component-flags.js';
import type { KubeObject } from '../../../kube/object.js';
import { startApiserver } from '../../helpers/apiserver-harness.js';
import { freePort, pollUntil } from '../../helpers/store-cluster.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const DEADLINE_MS = 60_000;

t.test('flags: defaults (port and leader election as kube-controller-manager, a higher API rate), --leader-elect=false, --controllers lists', async (t) => {
  const d = parseControllerManagerFlags(['--apiserver', 'http://127.0.0.1:1']);
  t.equal(d.port, 10257);
  t.equal(d.leaderElect, true);
  t.ok(d.controllers.includes('deployment') && d.controllers.includes('replicaset'));
  t.equal(d.qps, 300, 'higher than kube-controller-manager: a local apiserver and store take far more');
  t.equal(d.burst, 600);
  t.equal(parseControllerManagerFlags(['--leader-elect=false']).leaderElect, false);
  t.equal(parseControllerManagerFlags(['--leader-elect']).leaderElect, true);
  t.same(parseControllerManagerFlags(['--controllers=replicaset,deployment']).controllers, ['replicaset', 'deployment']);
  t.notOk(parseControllerManagerFlags(['--controllers', '*,-deployment']).controllers.includes('deployment'));
  t.throws(() => parseControllerManagerFlags(['--controllers=nope']), FlagError);
  t.throws(() => parseControllerManagerFlags(['--port=x']), /--port must be an integer from 0 to 65535/);
  t.throws(() => parseControllerManagerFlags(['--leader-elect=maybe']), /true or false/);
  t.throws(() => parseControllerManagerFlags(['--bogus']), FlagError);
  t.equal(parseControllerManagerFlags(['--help']).help, true);
});

t.test('the controller-manager process takes the Lease, runs the controllers, serves health, and releases the Lease on SIGTERM', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.api.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  const healthPort = await freePort();
  const script = `import('./controllers/main.ts').then((m) => m.main(process.argv.slice(1)))`;
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', script, '--', '--apiserver', url, '--port', String(healthPort), '--controllers=replicaset', '--log-level=warn'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
  });

  const lease = await pollUntil(
    'the Lease kube-system/kube-controller-manager to be held',
    async () => {
      const l = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(Resources.leases, 'kube-controller-manager', 'kube-system');
      return l.spec?.holderIdentity ? l : undefined;
    },
    DEADLINE_MS,
  );
  t.ok(lease.spec?.holderIdentity, 'a holder identity is written');
  await pollUntil('/readyz to answer 200', async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, DEADLINE_MS);
  t.equal((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);

  await client.create<ReplicaSet>(Resources.replicasets, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  });
  await pollUntil('two pods of the ReplicaSet', async () => (await client.list(Resources.pods, { namespace: 'default' })).items.length === 2, DEADLINE_MS);
  // The pods can be seen before the sync that created them has counted itself: wait for the count.
  const metrics = await pollUntil(
    'a successful replicaset sync counted in /metrics',
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
      return /controller_sync_total\{controller="replicaset",result="success"\} \d+/.test(text) ? text : undefined;
    },
    DEADLINE_MS,
  );
  t.match(metrics, /controller_sync_total\{controller="replicaset",result="success"\} \d+/);

  if (proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
  t.equal(await exited, 0, `exits 0 on SIGTERM${stderr ? ` (stderr: ${stderr.slice(0, 500)})` : ''}`);
  const released = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(Resources.leases, 'kube-controller-manager', 'kube-system');
  t.notOk(released.spec?.holderIdentity, 'the Lease is released so a standby takes over at once');
});
