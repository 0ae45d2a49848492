import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

const PODS = '/api/v1/namespaces/default/pods';

interface WatchEvent {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: event objects are arbitrary JSON
  object: any;
}

/** A watch over a real socket: collects events line by line until stopped. */
function openWatch(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): { events: WatchEvent[]; status: Promise<number>; ended: Promise<void>; stop(): void } {
  const events: WatchEvent[] = [];
  let resolveStatus: (n: number) => void = () => {};
  let resolveEnded: () => void = () => {};
  const status = new Promise<number>((r) => {
    resolveStatus = r;
  });
  const ended = new Promise<void>((r) => {
    resolveEnded = r;
  });
  const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line));
        nl = buf.indexOf('\n');
      }
    });
    res.on('end', () => resolveEnded());
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => resolveEnded());
  req.end();
  return { events, status, ended, stop: () => req.destroy() };
}

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the server to end a stream, failing (not hanging until tap's timeout) if it never does. */
async function endedWithin(w: { ended: Promise<void> }, what: string, timeoutMs = 30_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not end ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([w.ended, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

t.test("a watch from a list's resourceVersion sees exactly the later changes, in order", async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  await h.request('POST', PODS, pod('before'));
  const list = await h.request('GET', PODS);
  const w = openWatch(port, `${PODS}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
  t.teardown(() => w.stop());
  t.equal(await w.status, 200, 'headers arrive before any event');
  await h.request('POST', PODS, pod('web', { app: 'web' }));
  await h.request('PATCH', `${PODS}/web`, { metadata: { labels: { app: 'web', v: '2' } } }, { 'content-type': 'application/merge-patch+json' });
  await h.request('DELETE', `${PODS}/web`);
  await until('three events', () => w.events.length >= 3);
  t.same(
    w.events.map((e) => [e.type, e.object.metadata.name]),
    [
      ['ADDED', 'web'],
      ['MODIFIED', 'web'],
      ['DELETED', 'web'],
    ],
  );
  const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
  t.same(
    [...rvs].sort((a, b) => a - b),
    rvs,
    'resourceVersions increase',
  );
  t.equal(new Set(rvs).size, rvs.length, 'no resourceVersion twice');
});

t.test('a watch without a resourceVersion starts with an ADDED for every object', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  await h.request('POST', PODS, pod('a'));
  await h.request('POST', PODS, pod('b'));
  const w = openWatch(port, `${PODS}?watch=true`);
  t.teardown(() => w.stop());
  await until('two events', () => w.events.length >= 2);
  t.same(w.events.map((e) => [e.type, e.object.metadata.name]).sort(), [
    ['ADDED', 'a'],
    ['ADDED', 'b'],
  ]);
});

t.test('a filtered watch turns selector transitions into ADDED and DELETED', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  const list = await h.request('GET', PODS);
  const w = openWatch(port, `${PODS}?watch=true&labelSelector=app%3Dweb&resourceVersion=${list.json.metadata.resourceVersion}`);
  t.teardown(() => w.stop());
  await w.status;
  await h.request('POST', PODS, pod('x', { app: 'other' }));
  await h.request('PATCH', `${PODS}/x`, { metadata: { labels: { app: 'web' } } }, { 'content-type': 'application/merge-patch+json' });
  await h.request('PATCH', `${PODS}/x`, { metadata: { labels: { app: 'gone' } } }, { 'content-type': 'application/merge-patch+json' });
  await until('two events', () => w.events.length >= 2);
  t.same(
    w.events.map((e) => [e.type, e.object.metadata.labels.app]),
    [
      ['ADDED', 'web'],
      ['DELETED', 'web'],
    ],
    'DELETED carries the last matching state',
  );
});

t.test('a watch from a revision older than the window gets an ERROR 410 Expired and the stream ends', async (t) => {
  const h = await startApiserver(t, { eventWindowMax: 5 });
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  for (let i = 0; i < 12; i++)
    await h.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } });
  const w = openWatch(port, '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2');
  await endedWithin(w, 'an expired watch');
  t.equal(w.events.length, 1);
  t.match(w.events[0], { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
});

t.test('a watch with a Table Accept gets one-row Tables', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  const list = await h.request('GET', PODS);
  const w = openWatch(port, `${PODS}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`, {
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  });
  t.teardown(() => w.stop());
  await w.status;
  await h.request('POST', PODS, pod('web'));
  await until('an event', () => w.events.length >= 1);
  t.match(w.events[0], { type: 'ADDED', object: { kind: 'Table', rows: [{ cells: ['web'] }] } });
});

t.test('timeoutSeconds ends the stream', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.api.app.server.address() as AddressInfo).port;
  const w = openWatch(port, `${PODS}?watch=true&timeoutSeconds=1`);
  t.equal(await w.status, 200);
  await endedWithin(w, 'a watch with timeoutSeconds=1');
  t.same(w.events, [], 'no events, just the end of the stream');
});
