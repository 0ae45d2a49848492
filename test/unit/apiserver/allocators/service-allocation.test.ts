import pino from 'pino';
import t from 'tap';
import { type Apiserver, buildApiserver } from '../../../../apiserver/server.js';
import { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import { type Answer, startApiserver } from '../../../helpers/apiserver-harness.js';

const SVCS = '/api/v1/namespaces/default/services';

function service(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } };
}

async function reservations(store: MemoryStoreClient, prefix: string): Promise<string[]> {
  const { kvs } = await store.range(prefix, { prefix: true } as never);
  return kvs.map((kv) => kv.key.slice(prefix.length));
}

t.test('the kubernetes Service holds the first IP of the range and a new Service gets another from the range', async (t) => {
  const h = await startApiserver(t, { serviceClusterIPRange: '10.100.0.0/24' });
  const k = await h.request('GET', `${SVCS}/kubernetes`);
  t.equal(k.json.spec.clusterIP, '10.100.0.1');
  const res = await h.request('POST', SVCS, service('web'));
  t.equal(res.status, 201, res.text);
  const ip: string = res.json.spec.clusterIP;
  t.match(ip, /^10\.100\.0\.\d+$/);
  t.not(ip, '10.100.0.1');
  t.same(res.json.spec.clusterIPs, [ip]);
  t.same((await reservations(h.store, '/registry/ranges/serviceips/')).sort(), ['10.100.0.1', ip].sort());
  const got = await h.request('GET', `${SVCS}/web`);
  t.equal(got.json.spec.clusterIP, ip, 'stored');
});

t.test("a user-chosen IP must be in range and free, with kube's 422 messages", async (t) => {
  const h = await startApiserver(t, { serviceClusterIPRange: '10.100.0.0/24' });
  t.equal((await h.request('POST', SVCS, service('a', { clusterIP: '10.100.0.10' }))).status, 201);
  const taken = await h.request('POST', SVCS, service('b', { clusterIP: '10.100.0.10' }));
  t.equal(taken.status, 422);
  t.equal(
    taken.json.message,
    'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.100.0.10"}: failed to allocate IP 10.100.0.10: provided IP is already allocated',
  );
  const outside = await h.request('POST', SVCS, service('c', { clusterIP: '10.0.0.5' }));
  t.equal(outside.status, 422);
  t.match(
    outside.json.message,
    'failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.100.0.0/24',
  );
  t.equal((await h.request('GET', `${SVCS}/b`)).status, 404, 'nothing written');
});

t.test('deleting a Service releases its IP and node port for the next one', async (t) => {
  const h = await startApiserver(t, { serviceClusterIPRange: '10.100.0.0/24' });
  t.equal((await h.request('POST', SVCS, service('a', { clusterIP: '10.100.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).status, 201);
  t.equal(
    (await h.request('POST', SVCS, service('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).json.message,
    'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
  );
  t.equal((await h.request('DELETE', `${SVCS}/a`)).status, 200);
  t.same(await reservations(h.store, '/registry/ranges/servicenodeports/'), []);
  const again = await h.request('POST', SVCS, service('b', { clusterIP: '10.100.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
  t.equal(again.status, 201, again.text);
});

t.test('headless and ExternalName Services get no IP', async (t) => {
  const h = await startApiserver(t);
  const headless = await h.request('POST', SVCS, service('h', { clusterIP: 'None' }));
  t.equal(headless.status, 201, headless.text);
  t.equal(headless.json.spec.clusterIP, 'None');
  t.same(headless.json.spec.clusterIPs, ['None']);
  const ext = await h.request('POST', SVCS, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'e' },
    spec: { type: 'ExternalName', externalName: 'example.com' },
  });
  t.equal(ext.status, 201, ext.text);
  t.equal(ext.json.spec.clusterIP, undefined);
  t.same(await reservations(h.store, '/registry/ranges/serviceips/'), ['10.96.0.1'], 'only the kubernetes Service holds one');
});

t.test('NodePort Services get node ports in range, ports of one number share one, and a type change releases them', async (t) => {
  const h = await startApiserver(t, { serviceNodePortRange: '31000-31099' });
  const res = await h.request(
    'POST',
    SVCS,
    service('np', {
      type: 'NodePort',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'http', port: 80 },
      ],
    }),
  );
  t.equal(res.status, 201, res.text);
  const [a, b, c] = res.json.spec.ports.map((p: { nodePort: number }) => p.nodePort);
  t.equal(a, b, 'same port number, same node port');
  t.not(a, c);
  for (const p of [a, c]) t.ok(p >= 31000 && p <= 31099, `${p} in range`);
  t.same((await reservations(h.store, '/registry/ranges/servicenodeports/')).map(Number).sort(), [a, c].sort());
  // A PUT that leaves node ports out keeps them (kube's patchAllocatedValues).
  const current = res.json;
  const put = await h.request('PUT', `${SVCS}/np`, {
    ...current,
    spec: { ...current.spec, clusterIP: '', clusterIPs: [], ports: current.spec.ports.map((p: Record<string, unknown>) => ({ ...p, nodePort: 0 })) },
  });
  t.equal(put.status, 200, put.text);
  t.same(
    put.json.spec.ports.map((p: { nodePort: number }) => p.nodePort),
    [a, b, c],
  );
  t.equal(put.json.spec.clusterIP, current.spec.clusterIP);
  const toClusterIP = await h.request('PUT', `${SVCS}/np`, {
    ...put.json,
    spec: {
      ...put.json.spec,
      type: 'ClusterIP',
      externalTrafficPolicy: undefined,
      ports: put.json.spec.ports.map(({ nodePort: _, ...p }: Record<string, unknown>) => p),
    },
  });
  t.equal(toClusterIP.status, 200, toClusterIP.text);
  t.same(await reservations(h.store, '/registry/ranges/servicenodeports/'), [], 'released');
  const out = await h.request('POST', SVCS, service('bad', { type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] }));
  t.equal(
    out.json.message,
    'Service "bad" is invalid: spec.ports[0].nodePort: Invalid value: 30000: provided port is not in the valid range. The range of valid ports is 31000-31099',
  );
});

t.test('two apiservers on one store never hand out the same IP, even for 50 concurrent creates', async (t) => {
  const store = new MemoryStoreClient();
  const servers: Apiserver[] = [0, 1].map(() => buildApiserver({ store, logger: pino({ level: 'silent' }), serviceClusterIPRange: '10.100.0.0/25' }));
  t.teardown(async () => {
    for (const s of servers) await s.close();
    await store.close();
  });
  await Promise.all(servers.map((s) => s.startCaches()));
  const creates: Promise<Answer | { status: number; json: { spec: { clusterIP: string } }; text: string }>[] = [];
  for (let i = 0; i < 50; i++) {
    const server = servers[i % 2] as Apiserver;
    creates.push(
      server.app
        .inject({ method: 'POST', url: SVCS, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(service(`s${i}`)) })
        .then((r) => ({ status: r.statusCode, json: JSON.parse(r.body), text: r.body })),
    );
  }
  const answers = await Promise.all(creates);
  for (const a of answers) t.equal(a.status, 201, a.text);
  const ips = answers.map((a) => a.json.spec.clusterIP);
  t.equal(new Set(ips).size, 50, 'all distinct');
  t.equal((await reservations(store, '/registry/ranges/serviceips/')).length, 51, 'one reservation each, and the kubernetes one');
});
