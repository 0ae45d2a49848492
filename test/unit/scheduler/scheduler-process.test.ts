import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isAlreadyExists } from '../../../kube/client/api-client.js';
import { Resources } from '../../../kube/client/resource.js';
import { RestClient } from '../../../kube/client/rest-client.js';
import type { KubeObject } from '../../../kube/object.js';
import type { Pod } from '../../../scheduler/framework/types.js';
import { startApiserver } from '../../helpers/apiserver-harness.js';
import { pollUntil } from '../../helpers/store-cluster.js';
import { makeNode, makePod } from './fixtures.js';

/**
 * `picokube scheduler` as real processes against a real apiserver (in-memory store, real HTTP):
 * two copies elect one leader through the Lease, pods are bound and spread, a pod that fits
 * nowhere gets its condition and Event, killing the leader hands over, and SIGTERM releases
 * the lease.
 */

const DEADLINE_MS = 90_000;
const PICOKUBE = new URL('../../../scripts/picokube.ts', import.meta.url).pathname;
const ROOT = new URL('../../..', import.meta.url).pathname;

const h = await startApiserver(t);
await h.api.app.listen({ port: 0, host: '127.0.0.1' });
const address = h.api.app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const client = new RestClient({ server: url });
t.teardown(() => client.close());
const dir = mkdtempSync(join(tmpdir(), 'picokube-scheduler-'));
const procs: ChildProcess[] = [];
t.teardown(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
  if (t.passing()) rmSync(dir, { recursive: true, force: true });
  else t.comment(`scheduler logs kept in ${dir}`);
});

function startScheduler(name: string): ChildProcess {
  const fd = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', PICOKUBE, 'scheduler', '--apiserver', url, '--port', '0', '--log-level', 'info'], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  procs.push(child);
  return child;
}

const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((resolve) => p.once('exit', (code) => resolve(code)));

for (const ns of ['default', 'kube-system']) {
  await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch((e: unknown) => {
    if (!isAlreadyExists(e)) throw e;
  });
}
for (const name of ['node-1', 'node-2', 'node-3']) {
  const node = makeNode(name, {
    cpu: '2',
    memory: '4Gi',
    ...(name === 'node-3' ? { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] } : {}),
  });
  const created = await client.create(Resources.nodes, node);
  await client.updateStatus(Resources.nodes, { ...created, status: node.status });
}

const a = startScheduler('scheduler-a');
const b = startScheduler('scheduler-b');

const holder = async (): Promise<string> => {
  try {
    return ((await client.get(Resources.leases, 'kube-scheduler', 'kube-system')).spec as { holderIdentity?: string }).holderIdentity ?? '';
  } catch {
    return '';
  }
};
const boundPods = async (): Promise<Pod[]> => (await client.list<Pod>(Resources.pods, { namespace: 'default' })).items.filter((p) => p.spec?.nodeName);

t.test('two schedulers elect one leader, which binds pods spread over the untainted nodes', async (t) => {
  const leader = await pollUntil('a lease holder', async () => (await holder()) || undefined, DEADLINE_MS);
  t.ok(
    [a.pid, b.pid].some((pid) => leader.includes(`_${pid}_`)),
    `the holder ${leader} names one of our processes`,
  );
  for (let i = 0; i < 6; i++) await client.create(Resources.pods, makePod(`web-${i}`, { cpu: '100m', memory: '64Mi', owner: 'rs-web' }) as KubeObject);
  const bound = await pollUntil('six bound pods', async () => ((await boundPods()).length === 6 ? boundPods() : undefined), DEADLINE_MS);
  const perNode: Record<string, number> = {};
  for (const p of bound) perNode[p.spec?.nodeName ?? ''] = (perNode[p.spec?.nodeName ?? ''] ?? 0) + 1;
  t.same(perNode, { 'node-1': 3, 'node-2': 3 });
  const scheduled = p0Condition(bound[0]);
  t.equal(scheduled?.status, 'True', 'the binding set PodScheduled=True');
});

t.test('a pod that fits nowhere gets PodScheduled=False and a FailedScheduling Event with the reason', async (t) => {
  await client.create(Resources.pods, makePod('too-big', { cpu: '64' }) as KubeObject);
  const condition = await pollUntil(
    'PodScheduled=False',
    async () => {
      const p = await client.get<Pod>(Resources.pods, 'too-big', 'default');
      const c = p0Condition(p);
      return c?.status === 'False' ? c : undefined;
    },
    DEADLINE_MS,
  );
  const message =
    '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}, 2 Insufficient cpu. ' +
    'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
  t.match(condition, { reason: 'Unschedulable', message });
  const event = await pollUntil(
    'a FailedScheduling event',
    async () => (await client.list(Resources.events, { namespace: 'default' })).items.find((e) => e.reason === 'FailedScheduling'),
    DEADLINE_MS,
  );
  t.match(event, { type: 'Warning', message, involvedObject: { kind: 'Pod', name: 'too-big' }, source: { component: 'default-scheduler' } });
});

t.test('killing the leader hands over to the standby, which goes on binding', async (t) => {
  const leader = await holder();
  const active = [a, b].find((p) => leader.includes(`_${p.pid}_`));
  const standby = [a, b].find((p) => p !== active);
  if (!active || !standby) return t.fail(`no process holds the lease (${leader})`);
  active.kill('SIGKILL');
  await exited(active);
  await client.create(Resources.pods, makePod('after-failover', { cpu: '100m' }) as KubeObject);
  const pod = await pollUntil(
    'after-failover bound',
    async () => {
      const p = await client.get<Pod>(Resources.pods, 'after-failover', 'default');
      return p.spec?.nodeName ? p : undefined;
    },
    DEADLINE_MS,
  );
  t.match(pod.spec?.nodeName, /^node-[12]$/);
  t.ok((await holder()).includes(`_${standby.pid}_`), 'the standby holds the lease');

  standby.kill('SIGTERM');
  t.equal(await exited(standby), 0, 'SIGTERM stops it cleanly');
  t.equal(await holder(), '', 'and it released the lease');
  t.match(readFileSync(join(dir, 'scheduler-a.log'), 'utf8') + readFileSync(join(dir, 'scheduler-b.log'), 'utf8'), /became leader/);
});

function p0Condition(p: Pod | undefined) {
  return p?.status?.conditions?.find((c) => c.type === 'PodScheduled');
}
