import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ApiStatusError, isAlreadyExists, isConflict, isNotFound, type WatchEvent } from '../../../../kube/client/api-client.js';
import { Resources } from '../../../../kube/client/resource.js';
import { RestClient } from '../../../../kube/client/rest-client.js';
import type { KubeObject } from '../../../../kube/object.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';
import { freePort, pollUntil } from '../../../helpers/store-cluster.js';

async function realApiserver(t: Test, options: Parameters<typeof startApiserver>[1] = {}): Promise<{ client: RestClient; url: string }> {
  const h = await startApiserver(t, options);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(h.api.app.server.address() as AddressInfo).port}`;
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  return { client, url };
}

/** A bare HTTP server for wire-level cases the apiserver would never produce. */
async function fakeServer(t: Test, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const configMap = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});
const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
});

t.test('create, get, list, update and delete round-trip through the apiserver', async (t) => {
  const { client } = await realApiserver(t);
  const created = await client.create(Resources.configmaps, configMap('a', { k: 'v1' }));
  t.equal(created.metadata.name, 'a');
  t.ok(created.metadata.resourceVersion, 'the server stamped a resourceVersion');
  const got = await client.get(Resources.configmaps, 'a', 'default');
  t.same(got.data, { k: 'v1' });
  const updated = await client.update(Resources.configmaps, { ...got, data: { k: 'v2' } });
  t.same(updated.data, { k: 'v2' });
  t.not(updated.metadata.resourceVersion, got.metadata.resourceVersion);
  const list = await client.list(Resources.configmaps, { namespace: 'default' });
  t.equal(list.kind, 'ConfigMapList');
  t.same(
    list.items.map((i) => i.metadata.name),
    ['a'],
  );
  t.ok(list.metadata.resourceVersion);
  await client.delete(Resources.configmaps, 'a', { namespace: 'default' });
  await t.rejects(client.get(Resources.configmaps, 'a', 'default'), { code: 404, reason: 'NotFound' });
});

t.test('failures carry the Status code, reason and message', async (t) => {
  const { client } = await realApiserver(t);
  const created = await client.create(Resources.configmaps, configMap('a'));
  await client.update(Resources.configmaps, { ...created, data: { x: '1' } });
  const stale = await client.update(Resources.configmaps, { ...created, data: { x: '2' } }).catch((e: unknown) => e);
  t.ok(stale instanceof ApiStatusError);
  t.ok(isConflict(stale), 'a stale resourceVersion is 409 Conflict');
  t.match((stale as ApiStatusError).message, /has been modified/);
  t.ok(isAlreadyExists(await client.create(Resources.configmaps, configMap('a')).catch((e: unknown) => e)));
  const missing = await client.get(Resources.pods, 'nope', 'default').catch((e: unknown) => e);
  t.ok(isNotFound(missing));
  t.match(missing, { status: { kind: 'Status', code: 404, details: { name: 'nope' } } });
});

t.test('updateStatus writes only the status', async (t) => {
  const { client } = await realApiserver(t);
  const p = await client.create(Resources.pods, pod('web'));
  const next = await client.updateStatus(Resources.pods, { ...p, metadata: { ...p.metadata, labels: { changed: 'yes' } }, status: { phase: 'Running' } });
  t.match(next.status, { phase: 'Running' });
  t.same(next.metadata.labels, { app: 'web' }, 'the label change was ignored');
});

t.test('every patch type goes with its content type and is applied', async (t) => {
  const { client } = await realApiserver(t);
  await client.create(Resources.configmaps, configMap('a', { a: '1' }));
  const merged = await client.patch(Resources.configmaps, 'a', { data: { b: '2' } }, { namespace: 'default' });
  t.same(merged.data, { a: '1', b: '2' }, 'merge');
  const strategic = await client.patch(Resources.configmaps, 'a', { data: { c: '3' } }, { namespace: 'default', type: 'strategic' });
  t.same(strategic.data, { a: '1', b: '2', c: '3' }, 'strategic');
  const json = await client.patch(Resources.configmaps, 'a', [{ op: 'remove', path: '/data/a' }], { namespace: 'default', type: 'json' });
  t.same(json.data, { b: '2', c: '3' }, 'json patch');
  const applied = await client.patch(
    Resources.configmaps,
    'applied',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'default' }, data: { x: 'y' } },
    { namespace: 'default', type: 'apply', fieldManager: 'test', force: true },
  );
  t.same(applied.data, { x: 'y' }, 'server-side apply creates');
});

t.test('a patch of the status subresource changes the status', async (t) => {
  const { client } = await realApiserver(t);
  await client.create(Resources.pods, pod('web'));
  const p = await client.patch(Resources.pods, 'web', { status: { phase: 'Running' } }, { namespace: 'default', subresource: 'status' });
  t.match(p.status, { phase: 'Running' });
});

t.test('a Binding posted to pods/binding sets the node', async (t) => {
  const { client } = await realApiserver(t);
  await client.create(Resources.pods, pod('web'));
  await client.createSubresource(
    Resources.pods,
    'web',
    'binding',
    { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web', namespace: 'default' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } },
    'default',
  );
  const p = await client.get(Resources.pods, 'web', 'default');
  t.match(p.spec, { nodeName: 'n1' });
});

t.test('a server that refuses connections is code 0 ServiceUnavailable', async (t) => {
  const client = new RestClient({ server: `http://127.0.0.1:${await freePort()}` });
  t.teardown(() => client.close());
  await t.rejects(client.get(Resources.pods, 'x', 'default'), { name: 'ApiStatusError', code: 0, reason: 'ServiceUnavailable' });
});

t.test('a request that gets no answer in time is code 0 Timeout', async (t) => {
  const url = await fakeServer(t, () => {});
  const client = new RestClient({ server: url, requestTimeoutMs: 50 });
  t.teardown(() => client.close());
  await t.rejects(client.get(Resources.pods, 'x', 'default'), { code: 0, reason: 'Timeout' });
});

t.test('a non-Status error body gets the reason of its HTTP code', async (t) => {
  const url = await fakeServer(t, (_req, res) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  });
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  await t.rejects(client.get(Resources.pods, 'x', 'default'), { code: 502, reason: 'InternalError', message: /bad gateway/ });
});

t.test('the token, user agent and write options travel with the request', async (t) => {
  const seen: { url: string; auth: string | undefined; ua: string | undefined; type: string | undefined; body: string }[] = [];
  const url = await fakeServer(t, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, ua: req.headers['user-agent'], type: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}');
    });
  });
  const client = new RestClient({ server: url, bearerToken: 's3cret', userAgent: 'picokube-scheduler' });
  t.teardown(() => client.close());
  await client.create(Resources.pods, pod('x'), { dryRun: true, fieldManager: 'm' });
  await client.patch(Resources.deployments, 'd', { metadata: { labels: { a: 'b' } } }, { namespace: 'ns', type: 'apply', force: true });
  await client.delete(Resources.pods, 'x', { namespace: 'default', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
  t.match(seen[0], {
    url: '/api/v1/namespaces/default/pods?dryRun=All&fieldManager=m',
    auth: 'Bearer s3cret',
    ua: 'picokube-scheduler',
    type: 'application/json',
  });
  t.match(seen[1], { url: '/apis/apps/v1/namespaces/ns/deployments/d?fieldManager=picokube-scheduler&force=true', type: 'application/apply-patch+yaml' });
  t.same(JSON.parse(seen[2]?.body ?? '{}'), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
});

t.test('429 with Retry-After is retried, and the retry succeeds', async (t) => {
  let calls = 0;
  const url = await fakeServer(t, (_req, res) => {
    calls++;
    if (calls === 1) {
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end('{"kind":"Status","apiVersion":"v1","code":429,"reason":"TooManyRequests","message":"slow down"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}');
  });
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  const p = await client.get(Resources.pods, 'x', 'default');
  t.equal(p.metadata.name, 'x');
  t.equal(calls, 2);
});

t.test('a watch delivers creates, updates and deletes in order, and stop ends it', async (t) => {
  const { client } = await realApiserver(t);
  const list = await client.list(Resources.configmaps, { namespace: 'default' });
  const events: WatchEvent[] = [];
  const w = client.watch(Resources.configmaps, { namespace: 'default', resourceVersion: list.metadata.resourceVersion ?? '' }, (e) => events.push(e));
  t.teardown(() => w.stop());
  const a = await client.create(Resources.configmaps, configMap('a'));
  await client.update(Resources.configmaps, { ...a, data: { x: '1' } });
  await client.delete(Resources.configmaps, 'a', { namespace: 'default' });
  await pollUntil('three events', () => events.length >= 3, 10_000);
  t.same(
    events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED a', 'MODIFIED a', 'DELETED a'],
  );
  w.stop();
  await w.done;
  t.pass('done resolved after stop');
});

t.test('a watch from a compacted resourceVersion gets an ERROR 410 event and the stream ends', async (t) => {
  const { client } = await realApiserver(t, { eventWindowMax: 5 });
  for (let i = 0; i < 12; i++) await client.create(Resources.configmaps, configMap(`c${i}`));
  const events: WatchEvent[] = [];
  const w = client.watch(Resources.configmaps, { namespace: 'default', resourceVersion: '2' }, (e) => events.push(e));
  await w.done;
  t.match(events, [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }]);
});

t.test('watch events split anywhere across chunks, even inside a UTF-8 character, arrive whole and in order', async (t) => {
  const lines = [
    { type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', resourceVersion: '5' }, data: { note: 'héllo ✓ 世界' } } },
    { type: 'MODIFIED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', resourceVersion: '6' } } },
    { type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '9' } } },
  ];
  const bytes = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const url = await fakeServer(t, (req, res) => {
    t.match(req.url, /watch=1/);
    res.writeHead(200, { 'content-type': 'application/json' });
    // One byte per chunk, each flushed separately.
    let i = 0;
    const next = (): void => {
      if (i >= bytes.length) {
        res.end();
        return;
      }
      res.write(bytes.subarray(i, i + 1), () => setImmediate(next));
      i++;
    };
    next();
  });
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  const events: WatchEvent[] = [];
  const w = client.watch(Resources.configmaps, { allowWatchBookmarks: true, resourceVersion: '4', timeoutSeconds: 300 }, (e) => events.push(e));
  await w.done;
  t.same(events, lines);
});

t.test('a watch answered with an error status rejects done with its Status', async (t) => {
  const url = await fakeServer(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end('{"kind":"Status","apiVersion":"v1","code":403,"reason":"Forbidden","message":"no"}');
  });
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  const w = client.watch(Resources.pods, {}, () => {});
  await t.rejects(w.done, { code: 403, reason: 'Forbidden', message: 'no' });
});

t.test('a watch cut mid-stream rejects done as a transport error after delivering what came whole', async (t) => {
  const url = await fakeServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}}\n{"type":"ADD');
    setImmediate(() => res.socket?.destroy());
  });
  const client = new RestClient({ server: url });
  t.teardown(() => client.close());
  const events: WatchEvent[] = [];
  const w = client.watch(Resources.pods, {}, (e) => events.push(e));
  await t.rejects(w.done, { code: 0, reason: 'ServiceUnavailable' });
  t.equal(events.length, 1);
});

t.test('a watch to a server that refuses connections rejects done with code 0', async (t) => {
  const client = new RestClient({ server: `http://127.0.0.1:${await freePort()}` });
  t.teardown(() => client.close());
  const w = client.watch(Resources.pods, {}, () => {});
  await t.rejects(w.done, { code: 0, reason: 'ServiceUnavailable' });
});

t.test('a server URL that is neither http nor https is refused at construction', async (t) => {
  t.throws(() => new RestClient({ server: 'ftp://127.0.0.1:6443' }), /http and https/);
});
