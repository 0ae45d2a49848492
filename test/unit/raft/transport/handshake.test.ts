import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import type { NodeId } from '../../../../raft/core/types.js';
import { decodeFrame, encodeFrame, type Frame, FRAME_VERSION } from '../../../../raft/transport/codec.js';
import {
  AcceptorHandshake,
  type DialPolicy,
  DialerHandshake,
  HandshakeError,
  type HandshakeIdentity,
  NONCE_BYTES,
  welcomeMac,
} from '../../../../raft/transport/handshake.js';
import { loadSecret, SecretError } from '../../../../raft/transport/secret.js';

const SECRET = new TextEncoder().encode('correct horse battery staple');
const OTHER_SECRET = new TextEncoder().encode('Tr0ub4dor&3');
const CLUSTER = 'picokube-test';

const identity = (selfId: NodeId, secret = SECRET, clusterId = CLUSTER): HandshakeIdentity => ({ selfId, clusterId, secret });
/** Replica `self` knows `known`; lower ids dial higher ones. */
const policyOf =
  (self: NodeId, known: NodeId[]): DialPolicy =>
  (id) =>
    !known.includes(id) ? 'unknownPeer' : id > self ? 'wrongDirection' : undefined;

/** Frames cross the wire encoded, as they would on a socket. */
const wire = (f: Frame): Frame => decodeFrame(encodeFrame(f));

function expectHandshakeError(t: Test, fn: () => unknown, reason: HandshakeError['reason']): void {
  try {
    fn();
    t.fail(`expected a HandshakeError (${reason})`);
  } catch (err) {
    t.ok(err instanceof HandshakeError, 'throws a HandshakeError');
    t.equal((err as HandshakeError).reason, reason, `reason ${reason}`);
  }
}

/** Runs a handshake between a dialer and an acceptor up to the acceptor's verdict on the hello. */
function helloFor(dialer: DialerHandshake, acceptor: AcceptorHandshake): Frame {
  const step = dialer.receive(wire(acceptor.challenge()));
  if (step.kind !== 'reply') throw new Error('expected a hello');
  return wire(step.hello);
}

t.test('two replicas holding the secret authenticate each other', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1, 3]));
  const dialer = new DialerHandshake(identity(1), 2);
  const { peerId, welcome } = acceptor.receive(helloFor(dialer, acceptor));
  t.equal(peerId, 1, 'the acceptor learns the dialer is replica 1');
  const done = dialer.receive(wire(welcome));
  t.same(done, { kind: 'done', peerId: 2 }, 'the dialer learns the acceptor is replica 2');
});

t.test('the challenge is 32 fresh random bytes per connection', async (t) => {
  const a = new AcceptorHandshake(identity(2), policyOf(2, [1])).challenge();
  const b = new AcceptorHandshake(identity(2), policyOf(2, [1])).challenge();
  t.equal(a.nonce.byteLength, NONCE_BYTES);
  t.not(Buffer.from(a.nonce).toString('hex'), Buffer.from(b.nonce).toString('hex'));
});

t.test('the secret itself never appears in any handshake frame', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  const dialer = new DialerHandshake(identity(1), 2);
  const challenge = acceptor.challenge();
  const step = dialer.receive(challenge);
  if (step.kind !== 'reply') throw new Error('expected a hello');
  const { welcome } = acceptor.receive(step.hello);
  const secretHex = Buffer.from(SECRET).toString('hex');
  for (const f of [challenge, step.hello, welcome]) t.notOk(Buffer.from(encodeFrame(f)).toString('hex').includes(secretHex), f.kind);
});

t.test('a dialer with the wrong secret is refused by the acceptor', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  const dialer = new DialerHandshake(identity(1, OTHER_SECRET), 2);
  expectHandshakeError(t, () => acceptor.receive(helloFor(dialer, acceptor)), 'badMac');
});

t.test('an acceptor with the wrong secret is refused by the dialer', async (t) => {
  // An impostor cannot verify the hello; say it answers anyway, with a welcome MAC under its secret.
  const impostor = new AcceptorHandshake(identity(2, OTHER_SECRET), policyOf(2, [1]));
  const dialer = new DialerHandshake(identity(1), 2);
  const hello = helloFor(dialer, impostor);
  if (hello.kind !== 'hello') throw new Error('expected a hello');
  const forged: Frame = { v: FRAME_VERSION, kind: 'welcome', id: 2, mac: welcomeMac(OTHER_SECRET, hello.nonce2, 2, 1, CLUSTER) };
  expectHandshakeError(t, () => dialer.receive(wire(forged)), 'badMac');
});

t.test('a dialer from another cluster is refused even with the right secret', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  const dialer = new DialerHandshake(identity(1, SECRET, 'other-cluster'), 2);
  expectHandshakeError(t, () => acceptor.receive(helloFor(dialer, acceptor)), 'wrongCluster');
});

t.test('a replica id that is not a known peer is refused', async (t) => {
  const acceptor = new AcceptorHandshake(identity(9), policyOf(9, [1, 2]));
  const dialer = new DialerHandshake(identity(5), 9);
  expectHandshakeError(t, () => acceptor.receive(helloFor(dialer, acceptor)), 'unknownPeer');
});

t.test('a higher id dialing a lower one is refused: the lower id dials', async (t) => {
  const acceptor = new AcceptorHandshake(identity(1), policyOf(1, [2]));
  const dialer = new DialerHandshake(identity(2), 1);
  expectHandshakeError(t, () => acceptor.receive(helloFor(dialer, acceptor)), 'wrongDirection');
});

t.test('the dialer refuses a welcome from a replica it did not dial', async (t) => {
  const acceptor = new AcceptorHandshake(identity(3), policyOf(3, [1]));
  const dialer = new DialerHandshake(identity(1), 2);
  const { welcome } = acceptor.receive(helloFor(dialer, acceptor));
  expectHandshakeError(t, () => dialer.receive(wire(welcome)), 'unexpectedPeer');
});

t.test('a hello recorded from one connection does not open another', async (t) => {
  const first = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  const hello = helloFor(new DialerHandshake(identity(1), 2), first);
  const second = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  second.challenge();
  expectHandshakeError(t, () => second.receive(hello), 'badMac');
});

t.test('frames out of order are protocol errors', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  expectHandshakeError(t, () => acceptor.receive(wire({ v: FRAME_VERSION, kind: 'welcome', id: 1, mac: new Uint8Array(32) })), 'protocol');
  const a2 = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  a2.challenge();
  expectHandshakeError(t, () => a2.receive({ v: FRAME_VERSION, kind: 'raft', msgs: [{ type: 'vote', from: 1, to: 2, term: 1 }] }), 'protocol');
  const dialer = new DialerHandshake(identity(1), 2);
  expectHandshakeError(t, () => dialer.receive({ v: FRAME_VERSION, kind: 'welcome', id: 2, mac: new Uint8Array(32) }), 'protocol');
  const d2 = new DialerHandshake(identity(1), 2);
  expectHandshakeError(t, () => d2.receive({ v: FRAME_VERSION, kind: 'challenge', nonce: new Uint8Array(4) }), 'protocol');
  const a3 = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  a3.challenge();
  expectHandshakeError(t, () => a3.challenge(), 'protocol');
});

t.test('a failed handshake cannot be continued', async (t) => {
  const acceptor = new AcceptorHandshake(identity(2), policyOf(2, [1]));
  const bad = helloFor(new DialerHandshake(identity(1, OTHER_SECRET), 2), acceptor);
  expectHandshakeError(t, () => acceptor.receive(bad), 'badMac');
  expectHandshakeError(t, () => acceptor.receive(bad), 'protocol');
});

t.test('loadSecret reads a file, trimmed, or takes a value, and refuses empty secrets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secret');
  writeFileSync(file, '  s3cret-from-file\n');
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  t.equal(text(loadSecret(file)), 's3cret-from-file', 'a path to a file');
  t.equal(text(loadSecret({ file })), 's3cret-from-file', 'an explicit file');
  t.equal(text(loadSecret('plain-value ')), 'plain-value', 'a value');
  t.equal(text(loadSecret({ value: 'v' })), 'v', 'an explicit value');
  writeFileSync(join(dir, 'empty'), ' \n\t\n');
  t.throws(() => loadSecret(join(dir, 'empty')), SecretError, 'an empty file');
  t.throws(() => loadSecret(''), SecretError, 'an empty value');
  t.throws(() => loadSecret({ value: '   ' }), SecretError, 'a blank value');
  t.throws(() => loadSecret(join(dir, 'missing')), SecretError, 'a path to nothing is not taken as the secret');
  t.throws(() => loadSecret({ file: join(dir, 'missing') }), SecretError, 'a missing explicit file');
});
