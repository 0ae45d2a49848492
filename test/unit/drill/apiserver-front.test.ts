import { createConnection, createServer, type Server } from 'node:net';
import t from 'tap';
import { ApiserverFront, formatFrontFlag, parseFrontFlag } from '../../../scripts/drill/apiserver-front.js';
import { BackendPicker } from '../../../scripts/drill/backend-picker.js';

t.test('the picker goes round the backends, and tries one that refused last until its retry time', async (t) => {
  let now = 0;
  const p = new BackendPicker(['a', 'b', 'c'], 1000, () => now);
  t.same(p.order(), ['a', 'b', 'c']);
  t.same(p.order(), ['b', 'c', 'a']);
  p.failed('c');
  t.same(p.order(), ['a', 'b', 'c'], 'c last while it is down');
  t.same(p.order(), ['a', 'b', 'c'], 'starting at c, c still goes last');
  t.same(p.down(), ['c']);
  now = 1000;
  t.same(p.order(), ['b', 'c', 'a'], 'tried in its turn again once its retry time has come');
  p.failed('a');
  p.succeeded('a');
  t.same(p.down(), [], 'an answer clears it');
  t.throws(() => new BackendPicker([]), /at least one backend/);
});

t.test('the --front flag round-trips and refuses what it cannot parse', async (t) => {
  const flag = { listenPort: 6443, backends: ['127.0.0.1:6444', '127.0.0.1:6445'] };
  t.same(parseFrontFlag(formatFrontFlag(flag)), flag);
  for (const bad of ['6443', '6443=', 'x=127.0.0.1:1', '6443=127.0.0.1']) t.throws(() => parseFrontFlag(bad), /expected LISTEN=HOST:PORT/, bad);
});

/** A backend that answers every connection with its name and closes. */
function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', (d) => s.end(`${name}:${d.toString()}`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }),
  );
}

/** Sends `text` through the front; resolves with the answer, or 'reset' when the connection is refused. */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('error', () => resolve('reset'));
    s.on('close', () => resolve(got || 'reset'));
    s.write(text);
  });
}

t.test('connections spread over the apiservers, pass the bytes both ways, and skip one that is gone', async (t) => {
  const one = await namedServer('one');
  const two = await namedServer('two');
  const listenPort = await freePort();
  const front = new ApiserverFront({ listenPort, backends: [`127.0.0.1:${one.port}`, `127.0.0.1:${two.port}`] });
  await front.start();
  t.teardown(async () => {
    await front.close();
    one.server.close();
    two.server.close();
  });
  const answers = [await ask(listenPort, 'hi'), await ask(listenPort, 'hi'), await ask(listenPort, 'hi'), await ask(listenPort, 'hi')];
  t.same(answers.sort(), ['one:hi', 'one:hi', 'two:hi', 'two:hi'], 'round robin, bytes sent before the backend answered arrive');

  await new Promise((r) => one.server.close(r));
  const after = [await ask(listenPort, 'x'), await ask(listenPort, 'y'), await ask(listenPort, 'z')];
  t.same(after, ['two:x', 'two:y', 'two:z'], 'every connection reaches the apiserver that is left');
  t.match(front.describe(), { down: [`127.0.0.1:${one.port}`] });

  await new Promise((r) => two.server.close(r));
  t.equal(await ask(listenPort, 'q'), 'reset', 'none left: the connection is reset, not held');
});
