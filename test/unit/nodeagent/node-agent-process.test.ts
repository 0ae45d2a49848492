import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { type Harness, startApiserver } from '../../helpers/apiserver-harness.js';
import { pollUntil } from '../../helpers/store-cluster.js';

/**
 * The node agent as a real process against a real apiserver (over HTTP on a free port): a
 * process with `--count 3` registers three nodes with leases and runs a pod bound to one of them
 * through deletion; the process runtime runs the seed pod and `pods/log` shows its greeting.
 */

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

const ROOT = new URL('../../..', import.meta.url).pathname;
const DEADLINE_MS = 60_000;

async function apiserverWithPort(t: Test): Promise<{ h: Harness; url: string }> {
  const h = await startApiserver(t);
  const address = await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  return { h, url: address };
}

function startAgent(t: Test, args: string[]): { proc: ChildProcess; log: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-node-agent-test-'));
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/picokube.ts'), 'node', ...args, '--work-dir', dir, '--port', '0', '--log-level', 'info'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { proc, log: () => out };
}

function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function pod(name: string, nodeName: string, container: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'busybox', ...container }] },
  };
}

t.test('one agent process with --count 3 registers three Ready nodes with leases and runs their pods', async (t) => {
  const { h, url } = await apiserverWithPort(t);
  const agent = startAgent(t, ['--apiserver', url, '--count', '3', '--name-prefix', 'sim-']);
  const nodes = await pollUntil(
    'three Ready nodes',
    async () => {
      const list = (await h.request('GET', '/api/v1/nodes')).json as Json;
      const ready = (list.items as Json[]).filter((n) => n.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 3 ? ready : undefined;
    },
    DEADLINE_MS,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.log()}`);
  });
  t.same(nodes.map((n: Json) => n.metadata.name).sort(), ['sim-1', 'sim-2', 'sim-3']);
  const port = nodes[0].status.daemonEndpoints.kubeletEndpoint.Port;
  t.ok(port > 0, 'the nodes publish the log server port');
  t.equal(nodes[1].status.daemonEndpoints.kubeletEndpoint.Port, port, 'all nodes of the process share it');
  const leases = await pollUntil(
    'three leases',
    async () => {
      const list = (await h.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).json as Json;
      return list.items.length === 3 ? list.items : undefined;
    },
    DEADLINE_MS,
  );
  t.same(leases.map((l: Json) => l.spec.holderIdentity).sort(), ['sim-1', 'sim-2', 'sim-3']);

  t.equal((await h.request('POST', '/api/v1/namespaces/default/pods', pod('web', 'sim-2'))).status, 201);
  const running = await pollUntil(
    'the pod Running',
    async () => {
      const p = (await h.request('GET', '/api/v1/namespaces/default/pods/web')).json as Json;
      return p.status?.phase === 'Running' ? p : undefined;
    },
    DEADLINE_MS,
  );
  t.match(running.status.podIP, /^10\.244\.2\.\d+$/, "an address from sim-2's podCIDR");
  t.equal(running.status.hostIP, '127.0.0.1');
  t.equal(running.status.containerStatuses[0].ready, true);

  // The status the agent wrote reads back as it computes it: an unrelated change writes nothing.
  const labelled = await h.request(
    'PATCH',
    '/api/v1/namespaces/default/pods/web',
    { metadata: { labels: { touched: 'yes' } } },
    { 'content-type': 'application/merge-patch+json' },
  );
  t.equal(labelled.status, 200);
  t.equal((await h.request('POST', '/api/v1/namespaces/default/pods', pod('barrier', 'sim-2'))).status, 201);
  await pollUntil(
    'the second pod Running',
    async () => ((await h.request('GET', '/api/v1/namespaces/default/pods/barrier')).json as Json).status?.phase === 'Running',
    DEADLINE_MS,
  );
  const after = (await h.request('GET', '/api/v1/namespaces/default/pods/web')).json as Json;
  t.equal(after.metadata.resourceVersion, labelled.json.metadata.resourceVersion, 'no status write after the label change');
  const metrics = await fetchText(port, '/metrics');
  t.match(metrics, /nodeagent_nodes 3/);
  t.match(metrics, /nodeagent_pod_status_writes_total 4/, 'two writes per pod: ContainerCreating, Running');

  t.equal((await h.request('DELETE', '/api/v1/namespaces/default/pods/web')).status, 200);
  await pollUntil('the pod removed by the agent', async () => (await h.request('GET', '/api/v1/namespaces/default/pods/web')).status === 404, DEADLINE_MS);
  t.pass('a graceful delete ends with the object removed');
});

t.test('the process runtime runs the seed pod and its logs come through pods/log', async (t) => {
  const { h, url } = await apiserverWithPort(t);
  const agent = startAgent(t, ['--apiserver', url, '--name', 'node-1', '--runtime', 'process']);
  await pollUntil('the node', async () => (await h.request('GET', '/api/v1/nodes/node-1')).status === 200, DEADLINE_MS).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.log()}`);
  });
  const seed = pod('myapp-pod', 'node-1', { command: ['sh', '-c', 'echo Hello Kubernetes! && sleep 3600'] });
  t.equal((await h.request('POST', '/api/v1/namespaces/default/pods', seed)).status, 201);
  const logs = await pollUntil(
    'the greeting',
    async () => {
      const r = await h.request('GET', '/api/v1/namespaces/default/pods/myapp-pod/log');
      return r.status === 200 && r.text.includes('Hello') ? r.text : undefined;
    },
    DEADLINE_MS,
  );
  t.equal(logs, 'Hello Kubernetes!\n');
  const p = (await h.request('GET', '/api/v1/namespaces/default/pods/myapp-pod')).json as Json;
  t.equal(p.status.phase, 'Running');
  t.match(p.status.containerStatuses[0].containerID, /^process:\/\/[0-9a-f]{64}$/);
  const missing = await h.request('GET', '/api/v1/namespaces/default/pods/myapp-pod/log?container=nope');
  t.equal(missing.status, 400, 'an unknown container is refused');

  t.equal((await h.request('DELETE', '/api/v1/namespaces/default/pods/myapp-pod')).status, 200);
  await pollUntil('the pod removed', async () => (await h.request('GET', '/api/v1/namespaces/default/pods/myapp-pod')).status === 404, DEADLINE_MS);
  t.pass('SIGTERM stopped the shell within its grace period and the pod was removed');
});
