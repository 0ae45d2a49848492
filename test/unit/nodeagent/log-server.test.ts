import { get } from 'node:http';
import { Counter, Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { FakeClock } from '../../../kube/clock.js';
import { LogServer } from '../../../nodeagent/log-server.js';
import type { LogLookup } from '../../../nodeagent/runtime/container-runtime.js';
import { LogBuffer } from '../../../nodeagent/runtime/log-buffer.js';
import { pollUntil } from '../../helpers/store-cluster.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Reply {
  status: number;
  body: string;
}

function fetchText(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** A streaming GET whose body so far can be read while it is open. */
function openStream(port: number, path: string): { body: () => string; ended: Promise<void>; abort: () => void } {
  let body = '';
  let abort = (): void => {};
  const ended = new Promise<void>((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve());
      res.on('close', () => resolve());
    });
    req.on('error', (err) => (err.message.includes('aborted') || err.message.includes('socket hang up') ? resolve() : reject(err)));
    abort = () => req.destroy();
  });
  return { body: () => body, ended, abort };
}

async function setup(t: Test, ready = true) {
  const clock = new FakeClock(T0);
  const current = new LogBuffer(() => clock.now());
  const previous = new LogBuffer(() => clock.now());
  previous.write('from the last run\n');
  previous.close();
  current.write('one\n');
  clock.advance(60_000);
  current.write('two\n');
  clock.advance(60_000);
  current.write('three\n');
  const lookups: string[] = [];
  const runtime = {
    logs(namespace: string, pod: string, container: string, prev: boolean): LogLookup {
      lookups.push(`${namespace}/${pod}/${container}${prev ? ' previous' : ''}`);
      if (pod !== 'web') return { ok: false, code: 404, message: `pod "${namespace}/${pod}" is not known on this node` };
      if (container === 'starting') return { ok: false, code: 400, message: 'container "starting" in pod "web" is waiting to start: ContainerCreating' };
      return { ok: true, buffer: prev ? previous : current };
    },
  };
  const metrics = new Registry();
  new Counter({ name: 'nodeagent_test_total', help: 'a test counter', registers: [metrics] }).inc();
  const server = new LogServer({ runtime, clock, port: 0, metrics, ready: () => ready });
  const port = await server.start();
  t.teardown(() => server.close());
  return { clock, current, port, lookups };
}

t.test('logs: everything, the tail, a byte limit, timestamps, since', async (t) => {
  const { port, lookups } = await setup(t);
  t.same(await fetchText(port, '/containerLogs/default/web/main'), { status: 200, body: 'one\ntwo\nthree\n' });
  t.equal((await fetchText(port, '/containerLogs/default/web/main?tailLines=2')).body, 'two\nthree\n');
  t.equal((await fetchText(port, '/containerLogs/default/web/main?tailLines=0')).body, '');
  t.equal((await fetchText(port, '/containerLogs/default/web/main?limitBytes=6')).body, 'one\ntw');
  t.equal((await fetchText(port, '/containerLogs/default/web/main?timestamps=true&tailLines=1')).body, '2026-01-01T12:02:00.000000000Z three\n');
  t.equal((await fetchText(port, '/containerLogs/default/web/main?sinceSeconds=90')).body, 'two\nthree\n', 'lines of the last 90 s');
  t.equal((await fetchText(port, '/containerLogs/default/web/main?previous=true')).body, 'from the last run\n');
  t.equal(lookups.at(-1), 'default/web/main previous');
});

t.test('errors: unknown pod 404, a container not started 400, a bad query 400, an unknown path 404', async (t) => {
  const { port } = await setup(t);
  t.same(await fetchText(port, '/containerLogs/default/nope/main'), { status: 404, body: 'pod "default/nope" is not known on this node\n' });
  t.equal((await fetchText(port, '/containerLogs/default/web/starting')).status, 400);
  const bad = await fetchText(port, '/containerLogs/default/web/main?tailLines=-3');
  t.equal(bad.status, 400);
  t.match(bad.body, /tailLines/);
  t.equal((await fetchText(port, '/containerLogs/default/web')).status, 404);
  t.equal((await fetchText(port, '/nothing')).status, 404);
});

t.test('follow: the kept lines, then new ones as they come, until the container ends', async (t) => {
  const { port, current } = await setup(t);
  const stream = openStream(port, '/containerLogs/default/web/main?follow=true&tailLines=1');
  await pollUntil('the tail', () => stream.body() === 'three\n');
  current.write('four\nfi');
  await pollUntil('the new line', () => stream.body() === 'three\nfour\n');
  current.close();
  await stream.ended;
  t.equal(stream.body(), 'three\nfour\nfi', 'the partial last line is flushed and the stream ends');
});

t.test('follow stops at limitBytes', async (t) => {
  const { port, current, lookups } = await setup(t);
  const stream = openStream(port, '/containerLogs/default/web/main?follow=true&tailLines=0&limitBytes=8');
  await pollUntil('the request to be served', () => lookups.length === 1);
  current.write('12345\n');
  current.write('67890\n');
  await stream.ended;
  t.equal(stream.body(), '12345\n67');
});

t.test('a follower that goes away is unsubscribed', async (t) => {
  const { port, current } = await setup(t);
  const stream = openStream(port, '/containerLogs/default/web/main?follow=1');
  await pollUntil('the kept lines', () => stream.body() === 'one\ntwo\nthree\n');
  stream.abort();
  await stream.ended;
  current.write('after\n');
  t.pass('writing after the follower left does not throw');
});

t.test('health, readiness and metrics', async (t) => {
  const { port } = await setup(t);
  t.same(await fetchText(port, '/healthz'), { status: 200, body: 'ok\n' });
  t.equal((await fetchText(port, '/metrics')).body.includes('nodeagent_test_total 1'), true);
  const notReady = await setup(t, false);
  t.equal((await fetchText(notReady.port, '/readyz')).status, 503);
  t.equal((await fetchText(port, '/readyz')).status, 200);
});

t.test('the log buffer keeps the newest lines under its byte bound', async (t) => {
  const clock = new FakeClock(T0);
  const b = new LogBuffer(() => clock.now(), 20);
  for (let i = 0; i < 10; i++) b.write(`line ${i}\n`);
  t.same(
    b.lines().map((l) => l.text),
    ['line 8', 'line 9'],
  );
  b.write('err', 'stderr');
  b.write('out\n', 'stdout');
  b.write('or\n', 'stderr');
  t.same(
    b
      .lines()
      .map((l) => l.text)
      .slice(-2),
    ['out', 'error'],
    'stdout and stderr keep their own partial lines',
  );
});
