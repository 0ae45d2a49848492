import { spawn } from 'node:child_process';
import { Counter, Registry } from 'prom-client';
import t from 'tap';
import { ComponentServer } from '../../../../kube/component/component-server.js';
import { installShutdownHandlers } from '../../../../kube/component/process-lifecycle.js';
import { pollUntil } from '../../../helpers/store-cluster.js';

const ROOT = new URL('../../../..', import.meta.url).pathname;

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

t.test('healthz and livez answer ok, readyz follows ready(), metrics serves the registry', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'scheduler_schedule_attempts_total', help: 'attempts', registers: [registry] }).inc(3);
  let ready = false;
  const server = new ComponentServer({ port: 0, ready: () => ready, registry });
  const port = await server.start();
  t.teardown(() => server.close());
  t.equal(server.port(), port);
  t.same(await get(port, '/healthz'), { status: 200, text: 'ok', type: 'text/plain; charset=utf-8' });
  t.match(await get(port, '/livez'), { status: 200, text: 'ok' });
  t.match(await get(port, '/readyz'), { status: 503, text: 'not ready\n' });
  ready = true;
  t.match(await get(port, '/readyz?verbose'), { status: 200, text: 'ok' });
  const metrics = await get(port, '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.text, /scheduler_schedule_attempts_total 3/);
  t.match(metrics.type, /text\/plain/);
  t.match(await get(port, '/nope'), { status: 404 });
  t.match(await get(port, '/healthz', 'POST'), { status: 405 });
  t.match(await get(port, '/healthz', 'HEAD'), { status: 200, text: '' });
});

t.test('an unhealthy check or a throwing ready() answers failure instead of crashing', async (t) => {
  const server = new ComponentServer({
    port: 0,
    ready: () => {
      throw new Error('boom');
    },
    healthy: () => 'leader election lease expired',
  });
  const port = await server.start();
  t.teardown(() => server.close());
  t.match(await get(port, '/healthz'), { status: 500, text: /leader election lease expired/ });
  t.match(await get(port, '/readyz'), { status: 503 });
  t.match(await get(port, '/metrics'), { status: 404 });
});

t.test('start fails when the port is taken', async (t) => {
  const a = new ComponentServer({ port: 0, ready: () => true });
  const port = await a.start();
  t.teardown(() => a.close());
  const b = new ComponentServer({ port, ready: () => true });
  await t.rejects(b.start(), { code: 'EADDRINUSE' });
});

t.test('the first signal runs shutdown once and exits 0; a second one exits 1 at once', async (t) => {
  const codes: number[] = [];
  let calls = 0;
  let finish: () => void = () => {};
  const remove = installShutdownHandlers(
    () => {
      calls++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    },
    { exit: (c) => codes.push(c), signals: ['SIGUSR2'] },
  );
  t.teardown(remove);
  process.emit('SIGUSR2', 'SIGUSR2');
  t.equal(calls, 1);
  t.same(codes, [], 'waits for shutdown');
  process.emit('SIGUSR2', 'SIGUSR2');
  t.same(codes, [1], 'second signal exits now');
  t.equal(calls, 1);
  finish();
  await pollUntil('exit 0', () => codes.length === 2, 5_000);
  t.same(codes, [1, 0]);
});

t.test('a shutdown that throws exits 1', async (t) => {
  const codes: number[] = [];
  const remove = installShutdownHandlers(async () => Promise.reject(new Error('nope')), { exit: (c) => codes.push(c), signals: ['SIGUSR2'] });
  t.teardown(remove);
  process.emit('SIGUSR2', 'SIGUSR2');
  await pollUntil('exit', () => codes.length === 1, 5_000);
  t.same(codes, [1]);
});

t.test('a real process stops on SIGTERM after its shutdown ran, with exit code 0', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}test/unit/kube/component/fixtures/shutdown-child.ts`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = Number((await pollUntil('the child to be ready', () => /ready (\d+)/.exec(out)?.[1], 60_000)) ?? 0);
  t.match(await get(port, '/readyz'), { status: 200 });
  process.kill(child.pid as number, 'SIGTERM');
  t.equal(await exited, 0, err);
  t.match(out, /shutdown SIGTERM\nclosed\n/);
});
