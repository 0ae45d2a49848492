import fc from 'fast-check';
import t from 'tap';
import { seededRng } from '../../../../raft/core/rng.js';
import type { Rng } from '../../../../raft/core/rng.js';
import { MalformedHistoryError, decodeKvHistory } from '../../../../raft/sim/history.js';
import type { KvInput, KvOperation } from '../../../../raft/sim/history.js';
import { checkKvHistory, kvModel } from '../../../../raft/sim/kv-model.js';
import { checkOperations } from '../../../../raft/sim/linearizability.js';
import type { Model } from '../../../../raft/sim/linearizability.js';

// Builders: `ret: null` records an operation whose outcome the client never learned.
function put(key: string, value: string, call: number, ret: number | null, clientId = 0): KvOperation {
  return { clientId, input: { op: 'put', key, value }, call, return: ret, output: ret === null ? null : { ok: true } };
}
function get(key: string, value: string | null, call: number, ret: number, clientId = 0): KvOperation {
  return { clientId, input: { op: 'get', key }, call, return: ret, output: { value } };
}
function cas(key: string, expected: string | null, value: string, swapped: boolean | null, call: number, ret: number | null, clientId = 0): KvOperation {
  const output = swapped === null || ret === null ? null : { ok: swapped };
  return { clientId, input: { op: 'cas', key, expected, value }, call, return: output === null ? null : ret, output };
}
function del(key: string, call: number, ret: number, clientId = 0): KvOperation {
  return { clientId, input: { op: 'delete', key }, call, return: ret, output: { ok: true } };
}
function timedOutGet(key: string, call: number, clientId = 0): KvOperation {
  return { clientId, input: { op: 'get', key }, call, return: null, output: null };
}

t.test('known linearizable histories are accepted', async (t) => {
  t.test('an empty history is linearizable', async (t) => {
    t.same(checkKvHistory([]), { kind: 'ok' });
  });

  t.test('a key never written reads as absent', async (t) => {
    t.same(checkKvHistory([get('x', null, 0, 1)]), { kind: 'ok' });
  });

  t.test('a sequential history of puts, gets and deletes is linearizable', async (t) => {
    const h = [put('x', '1', 0, 1), get('x', '1', 2, 3), put('x', '2', 4, 5), get('x', '2', 6, 7), del('x', 8, 9)];
    t.same(checkKvHistory([...h, get('x', null, 10, 11)]), { kind: 'ok' });
  });

  t.test('concurrent writes are linearizable if some order of them explains every read', async (t) => {
    // The reads pin the order: 2 was written first, then 1, both inside their intervals.
    const h = [put('x', '1', 0, 10, 1), put('x', '2', 0, 10, 2), get('x', '2', 1, 9, 3), get('x', '1', 11, 12, 3)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('a read overlapping a write may see either the old or the new value', async (t) => {
    const before = [put('x', '1', 0, 1), put('x', '2', 10, 20, 1), get('x', '1', 12, 18, 2)];
    const after = [put('x', '1', 0, 1), put('x', '2', 10, 20, 1), get('x', '2', 12, 18, 2)];
    t.same(checkKvHistory(before), { kind: 'ok' });
    t.same(checkKvHistory(after), { kind: 'ok' });
  });

  t.test('operations that end and start at the same instant count as concurrent', async (t) => {
    t.same(checkKvHistory([put('x', '1', 0, 10, 1), get('x', null, 10, 12, 2)]), { kind: 'ok' });
  });

  t.test('a chain of compare-and-swaps, each expecting the previous value, is linearizable', async (t) => {
    const h = [
      cas('x', null, 'a', true, 0, 1),
      cas('x', 'a', 'b', true, 2, 3),
      cas('x', 'a', 'c', false, 4, 5),
      cas('x', 'b', 'c', true, 6, 7),
      get('x', 'c', 8, 9),
    ];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('of two concurrent compare-and-swaps from the same value, exactly one may win', async (t) => {
    const race = (first: boolean, second: boolean) => [put('x', '0', 0, 1), cas('x', '0', 'a', first, 2, 10, 1), cas('x', '0', 'b', second, 3, 9, 2)];
    t.same(checkKvHistory(race(true, false)), { kind: 'ok' });
    t.same(checkKvHistory(race(false, true)), { kind: 'ok' });
    t.equal(checkKvHistory(race(true, true)).kind, 'illegal');
    t.equal(checkKvHistory(race(false, false)).kind, 'illegal');
  });

  t.test('keys are independent: a read on one key is unaffected by writes to another', async (t) => {
    const h = [put('x', '1', 0, 1), put('y', '2', 2, 3), get('x', '1', 4, 5), get('y', '2', 4, 5), get('z', null, 4, 5)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });
});

t.test('known non-linearizable histories are rejected with the failing key reported', async (t) => {
  t.test('a read that starts after a write completed cannot see the value before it', async (t) => {
    const r = checkKvHistory([put('y', '1', 0, 1), put('x', '1', 0, 10), get('x', null, 11, 12, 1)]);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'x');
  });

  t.test('two readers cannot observe two concurrent writes in opposite orders', async (t) => {
    const h = [
      put('x', '1', 0, 100, 1),
      put('x', '2', 0, 100, 2),
      get('x', '1', 10, 20, 3),
      get('x', '2', 30, 40, 3),
      get('x', '2', 10, 20, 4),
      get('x', '1', 30, 40, 4),
    ];
    const r = checkKvHistory(h);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'x');
  });

  t.test('a read cannot return a value that was never written', async (t) => {
    const r = checkKvHistory([put('a', '1', 0, 1), put('k', '1', 0, 5), get('k', 'ghost', 0, 10)]);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'k');
  });

  t.test('a compare-and-swap cannot succeed once the value it expected was overwritten', async (t) => {
    const h = [put('x', 'a', 0, 1), put('x', 'b', 2, 3), cas('x', 'a', 'c', true, 4, 5)];
    const r = checkKvHistory(h);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'x');
  });

  t.test('a compare-and-swap cannot fail when the value it expected is certainly there', async (t) => {
    t.equal(checkKvHistory([put('x', 'a', 0, 1), cas('x', 'a', 'b', false, 2, 3)]).kind, 'illegal');
    t.equal(checkKvHistory([cas('x', null, 'b', false, 2, 3)]).kind, 'illegal');
  });

  t.test('an acknowledged write cannot be lost: a later read must not see an older value', async (t) => {
    const h = [put('x', '1', 0, 1, 1), put('x', '2', 2, 3, 1), get('x', '2', 4, 5, 2), get('x', '1', 6, 7, 3)];
    const r = checkKvHistory(h);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'x');
  });

  // The register examples from Porcupine's tests (MIT 6.824 2017 quiz 2); the register's
  // initial 0 is our absent key.
  t.test('Porcupine register example 1: a read may precede a concurrent write', async (t) => {
    const h = [put('x', '100', 0, 100, 0), get('x', '100', 25, 75, 1), get('x', null, 30, 60, 2)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('Porcupine register example 2: after a read saw the write, a later read cannot miss it', async (t) => {
    const h = [put('x', '200', 0, 100, 0), get('x', '200', 10, 30, 1), get('x', null, 40, 90, 2)];
    t.equal(checkKvHistory(h).kind, 'illegal');
  });

  // Knossos's classic cas-register anomaly: a read after a successful cas sees the value it replaced.
  t.test('Jepsen cas register: a read after a completed cas cannot see the replaced value', async (t) => {
    const h = [put('r', '1', 0, 5, 0), cas('r', '1', '2', true, 6, 10, 1), get('r', '1', 11, 15, 2)];
    t.equal(checkKvHistory(h).kind, 'illegal');
  });
});

t.test('operations with unknown outcome', async (t) => {
  t.test('a timed-out put that a later read observes is linearizable', async (t) => {
    const h = [put('x', '1', 0, 1), put('x', '2', 5, null, 1), get('x', '2', 100, 101, 2), get('x', '2', 102, 103)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('a timed-out put that no read observes is linearizable', async (t) => {
    const h = [put('x', '1', 0, 1), put('x', '2', 5, null, 1), get('x', '1', 100, 101, 2), get('x', '1', 200, 201)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('a timed-out put may take effect long after later operations completed', async (t) => {
    const h = [put('x', '2', 5, null, 1), get('x', null, 10, 11), put('x', '1', 20, 21), get('x', '2', 100, 101, 2)];
    t.same(checkKvHistory(h), { kind: 'ok' });
  });

  t.test('a timed-out put cannot explain a read that completed before its call', async (t) => {
    const r = checkKvHistory([get('x', '2', 0, 10), put('x', '2', 20, null, 1)]);
    t.equal(r.kind, 'illegal');
    t.equal(r.kind !== 'ok' && r.key, 'x');
  });

  t.test('a timed-out put takes effect at most once: it cannot explain a value coming back', async (t) => {
    const h = [put('x', '2', 0, null, 1), get('x', '2', 10, 11), put('x', '3', 12, 13), get('x', '2', 14, 15)];
    t.equal(checkKvHistory(h).kind, 'illegal');
  });

  t.test('a timed-out compare-and-swap applies only if its expected value is there when it lands', async (t) => {
    const lands = [put('x', 'a', 0, 1), cas('x', 'a', 'b', null, 2, null, 1), get('x', 'b', 10, 11)];
    t.same(checkKvHistory(lands), { kind: 'ok' });
    const cannot = [put('x', 'z', 0, 1), cas('x', 'a', 'b', null, 2, null, 1), get('x', 'b', 10, 11)];
    t.equal(checkKvHistory(cannot).kind, 'illegal');
  });

  t.test('a timed-out put can explain why a later compare-and-swap found another value', async (t) => {
    const spoiled = [put('x', 'a', 0, 1), put('x', 'v', 2, null, 1), cas('x', 'a', 'b', false, 50, 51), get('x', 'v', 60, 61)];
    t.same(checkKvHistory(spoiled), { kind: 'ok' });
    const unexplained = [put('x', 'a', 0, 1), cas('x', 'a', 'b', false, 50, 51)];
    t.equal(checkKvHistory(unexplained).kind, 'illegal');
    // Seen by nobody, the timed-out put must still be kept: it alone explains the failed cas.
    t.same(checkKvHistory([put('x', 'a', 0, 1), put('x', 'v', 2, null, 1), cas('x', 'a', 'b', false, 50, 51)]), { kind: 'ok' });
  });

  t.test('a timed-out put cannot explain a failed compare-and-swap that ended before its call', async (t) => {
    const h = [put('x', 'a', 0, 1), cas('x', 'a', 'b', false, 2, 3), put('x', 'v', 4, null, 1)];
    t.equal(checkKvHistory(h).kind, 'illegal');
  });

  t.test('a timed-out read constrains nothing', async (t) => {
    const h = [put('x', '1', 0, 1), timedOutGet('x', 2, 1), get('x', '1', 3, 4)];
    t.same(checkKvHistory(h), { kind: 'ok' });
    const r = checkKvHistory([put('x', '1', 0, 1), timedOutGet('x', 2, 1), get('x', '0', 3, 4)]);
    t.equal(r.kind !== 'ok' && r.partition.length, 2, 'the timed-out read is not part of the failing key');
  });
});

t.test('an illegal history names the key, its operations and the longest linearizable prefix', async (t) => {
  const h = [put('ok', '1', 0, 1), put('bad', '1', 0, 1), put('bad', '2', 2, 3), get('ok', '1', 4, 5), get('bad', '1', 6, 7, 9)];
  const r = checkKvHistory(h);
  if (r.kind === 'ok') return t.fail('expected illegal');
  t.equal(r.key, 'bad');
  t.same(r.partition, [h[1], h[2], h[4]]);
  t.same(r.longestPrefix, [h[1], h[2]]);
  t.match(r.reason, /key "bad": no linearization of its 3 operations/);
  t.match(r.reason, /#4 client 9 \[6, 7\] get "bad" → "1"/, 'names the operation that cannot be placed by history index');
});

t.test('a search that exceeds its step budget reports unknown instead of running on', async (t) => {
  const writers = Array.from({ length: 12 }, (_, i) => put('x', String(i), 0, 100, i));
  const h = [...writers, get('x', 'ghost', 200, 201, 99)];
  const r = checkKvHistory(h, { maxSteps: 100 });
  t.equal(r.kind, 'unknown');
  t.equal(r.kind !== 'ok' && r.key, 'x');
  t.match(r.kind !== 'ok' ? r.reason : '', /gave up after 100 search steps/);
  t.equal(checkKvHistory(h).kind, 'illegal', 'with the default budget the search completes');
});

t.test('an illegal key is reported even when an earlier key ran out of steps', async (t) => {
  const hard = [...Array.from({ length: 12 }, (_, i) => put('a', String(i), 0, 100, i)), get('a', 'ghost', 200, 201)];
  const r = checkKvHistory([...hard, put('b', '1', 0, 1), get('b', null, 2, 3)], { maxSteps: 50 });
  t.equal(r.kind, 'illegal');
  t.equal(r.kind !== 'ok' && r.key, 'b');
});

t.test('a malformed operation is refused rather than checked', async (t) => {
  t.throws(() => checkKvHistory([put('x', '1', 10, 5)]), MalformedHistoryError);
  t.throws(() => checkKvHistory([{ ...put('x', '1', 0, 1), output: null }]), MalformedHistoryError);
  t.throws(() => checkKvHistory([put('x', '1', Number.NaN, 5)]), MalformedHistoryError);
});

t.test('a history survives JSON and checks the same after decoding', async (t) => {
  const h = [put('x', '1', 0, 1), cas('x', '1', '2', null, 2, null), get('x', '2', 5, 6), del('x', 7, 8), get('x', null, 9, 10)];
  const decoded = decodeKvHistory(JSON.parse(JSON.stringify(h)));
  t.same(decoded, h);
  t.same(checkKvHistory(decoded), { kind: 'ok' });
});

t.test('decoding refuses a history whose shape the checker does not understand', async (t) => {
  const good = { clientId: 1, input: { op: 'get', key: 'x' }, call: 0, return: 1, output: { value: 'a' } };
  t.throws(() => decodeKvHistory({}), MalformedHistoryError);
  t.throws(() => decodeKvHistory([{ ...good, input: { op: 'incr', key: 'x' } }]), /input is not/);
  t.throws(() => decodeKvHistory([{ ...good, output: { ok: true } }]), /output does not fit a get/);
  t.throws(() => decodeKvHistory([{ ...good, return: 'soon' }]), /return is neither/);
  t.throws(() => decodeKvHistory([{ ...good, return: null }]), /null together/);
  t.same(decodeKvHistory([good]), [good]);
});

t.test('the core checks any model given as a step function, unpartitioned by default', async (t) => {
  type Counter = { op: 'inc' } | { op: 'read' };
  const counter: Model<number, Counter, number> = {
    init: () => 0,
    step: (n, input, output) => (input.op === 'inc' ? { ok: true, next: n + 1 } : { ok: output === null || output === n, next: n }),
    stateKey: String,
  };
  const inc = (call: number, ret: number) => ({ clientId: 0, input: { op: 'inc' } as const, call, return: ret, output: 0 });
  const read = (v: number, call: number, ret: number) => ({
    clientId: 1,
    input: { op: 'read' } as const,
    call,
    return: ret,
    output: v,
  });
  t.same(checkOperations(counter, [inc(0, 10), inc(0, 10), read(1, 5, 6), read(2, 11, 12)]), { kind: 'ok' });
  const r = checkOperations(counter, [inc(0, 10), read(2, 11, 12)]);
  t.equal(r.kind, 'illegal');
  t.match(r.kind !== 'ok' ? r.reason : '', /^the history: no linearization/);
});

// ——— Property tests: the fast checker against a real map and against a naive oracle ———

const KEYS = ['x', 'y', 'z'];
const VALUES = ['a', 'b', 'c'];

interface OpSpec {
  kind: KvInput['op'];
  key: string;
  value: string;
  expectCurrent: boolean;
  expected: string | null;
  before: number;
  after: number;
  clientId: number;
  timedOut: boolean;
  takesEffect: boolean;
}

const opSpec = (keys: readonly string[]): fc.Arbitrary<OpSpec> =>
  fc.record({
    kind: fc.constantFrom<KvInput['op']>('put', 'get', 'get', 'cas', 'delete'),
    key: fc.constantFrom(...keys),
    value: fc.constantFrom(...VALUES),
    expectCurrent: fc.boolean(),
    expected: fc.constantFrom(null, ...VALUES),
    before: fc.nat(40),
    after: fc.nat(40),
    clientId: fc.nat(4),
    timedOut: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    takesEffect: fc.boolean(),
  });

/**
 * Runs the operations one by one against a real map, at linearization points 10 ms apart, and
 * widens each interval around its point: the points then order the history consistently with
 * real time, so it is linearizable by construction.
 */
function sequentialHistory(specs: readonly OpSpec[], spacing = 10): KvOperation[] {
  const store = new Map<string, string>();
  return specs.map((s, i) => {
    const point = i * spacing;
    const current = store.get(s.key) ?? null;
    let input: KvInput;
    let swapped = true;
    switch (s.kind) {
      case 'put':
        input = { op: 'put', key: s.key, value: s.value };
        break;
      case 'get':
        input = { op: 'get', key: s.key };
        break;
      case 'delete':
        input = { op: 'delete', key: s.key };
        break;
      case 'cas': {
        const expected = s.expectCurrent ? current : s.expected;
        input = { op: 'cas', key: s.key, expected, value: s.value };
        swapped = expected === current;
        break;
      }
    }
    const applies = !s.timedOut || s.takesEffect;
    if (applies && (input.op === 'put' || (input.op === 'cas' && swapped))) store.set(s.key, s.value);
    if (applies && input.op === 'delete') store.delete(s.key);
    const call = point - s.before;
    if (s.timedOut) return { clientId: s.clientId, input, call, return: null, output: null };
    const output = input.op === 'get' ? { value: current } : { ok: input.op !== 'cas' || swapped };
    return { clientId: s.clientId, input, call, return: point + s.after, output };
  });
}

/** The oracle: tries every order consistent with real time, on one map holding every key. */
function naiveLinearizable(ops: readonly KvOperation[]): boolean {
  const placed = ops.map(() => false);
  const ready = (i: number): boolean => ops.every((p, j) => placed[j] || j === i || p.return === null || !(p.return < (ops[i] as KvOperation).call));
  const search = (store: ReadonlyMap<string, string>): boolean => {
    if (ops.every((op, i) => placed[i] || op.return === null)) return true;
    for (const [i, op] of ops.entries()) {
      if (placed[i] || !ready(i)) continue;
      const next = applySequentially(store, op);
      if (next === null) continue;
      placed[i] = true;
      const found = search(next);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map());
}

function applySequentially(store: ReadonlyMap<string, string>, op: KvOperation): ReadonlyMap<string, string> | null {
  const current = store.get(op.input.key) ?? null;
  const out = op.output as Record<string, unknown> | null;
  const next = new Map(store);
  switch (op.input.op) {
    case 'get':
      return out === null || out.value === current ? store : null;
    case 'put':
      next.set(op.input.key, op.input.value);
      return next;
    case 'delete':
      next.delete(op.input.key);
      return next;
    case 'cas': {
      const swaps = current === op.input.expected;
      if (out !== null && out.ok !== swaps) return null;
      if (swaps) next.set(op.input.key, op.input.value);
      return next;
    }
  }
}

/** Arbitrary tiny histories, mostly not linearizable: outputs are drawn at random. */
const tinyRandomHistory: fc.Arbitrary<KvOperation[]> = fc
  .array(
    fc.record({
      spec: opSpec(['x', 'y']),
      call: fc.nat(30),
      length: fc.nat(15),
      read: fc.constantFrom(null, 'a', 'b'),
      swapped: fc.boolean(),
    }),
    { maxLength: 6 },
  )
  .map((items) =>
    items.map(({ spec, call, length, read, swapped }): KvOperation => {
      const { key, value } = spec;
      const input: KvInput =
        spec.kind === 'put' || spec.kind === 'cas'
          ? spec.kind === 'put'
            ? { op: 'put', key, value: value === 'c' ? 'a' : value }
            : { op: 'cas', key, expected: spec.expected === 'c' ? null : spec.expected, value: value === 'c' ? 'b' : value }
          : spec.kind === 'get'
            ? { op: 'get', key }
            : { op: 'delete', key };
      if (spec.timedOut) return { clientId: spec.clientId, input, call, return: null, output: null };
      const output = input.op === 'get' ? { value: read } : { ok: input.op !== 'cas' || swapped };
      return { clientId: spec.clientId, input, call, return: call + length, output };
    }),
  );

t.test('every history generated from a real map with widened intervals is accepted', async (t) => {
  fc.assert(
    fc.property(fc.array(opSpec(KEYS), { maxLength: 60 }), (specs) => {
      const r = checkKvHistory(sequentialHistory(specs));
      return r.kind === 'ok';
    }),
    { numRuns: 300 },
  );
  t.pass();
});

t.test('changing one read to a value never written makes a generated history illegal', async (t) => {
  fc.assert(
    fc.property(fc.array(opSpec(KEYS), { minLength: 1, maxLength: 60 }), fc.nat(), (specs, pick) => {
      const h = sequentialHistory(specs);
      const reads = h.flatMap((op, i) => (op.input.op === 'get' && op.output !== null ? [i] : []));
      fc.pre(reads.length > 0);
      const victim = reads[pick % reads.length] as number;
      const op = h[victim] as KvOperation;
      h[victim] = { ...op, output: { value: 'never-written' } };
      const r = checkKvHistory(h);
      return r.kind === 'illegal' && r.key === op.input.key;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

/** Linearizable tiny histories with one known output changed: often, not always, illegal. */
const tinyMutatedHistory: fc.Arbitrary<KvOperation[]> = fc
  .tuple(fc.array(opSpec(['x', 'y']), { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom(null, 'a', 'b'))
  .map(([specs, pick, read]) => {
    const h = sequentialHistory(specs, 3);
    const i = pick % h.length;
    const op = h[i] as KvOperation;
    if (op.output !== null && op.input.op === 'get') h[i] = { ...op, output: { value: read } };
    if (op.output !== null && op.input.op === 'cas') h[i] = { ...op, output: { ok: !('ok' in op.output && op.output.ok) } };
    return h;
  });

t.test('the fast checker agrees with a naive one on every tiny history', async (t) => {
  const verdicts = { ok: 0, illegal: 0 };
  fc.assert(
    fc.property(fc.oneof(tinyRandomHistory, tinyMutatedHistory), (h) => {
      const fast = checkKvHistory(h).kind;
      const naive = naiveLinearizable(h) ? 'ok' : 'illegal';
      verdicts[naive]++;
      return fast === naive;
    }),
    { numRuns: 3000 },
  );
  t.ok(verdicts.ok > 300 && verdicts.illegal > 300, `both verdicts are exercised (${JSON.stringify(verdicts)})`);
});

t.test('narrowing timed-out writes to their witnesses never changes the verdict', async (t) => {
  // The same model without witnesses carries every timed-out write to the end of the search.
  const { witnesses: _, ...carryingEverything } = kvModel;
  // Linearizable histories with one known output changed, a third of the writes timed out.
  const history = fc
    .tuple(fc.array(opSpec(['x']), { minLength: 5, maxLength: 40 }), fc.nat(), fc.constantFrom(null, 'a', 'b', 'c'))
    .map(([specs, pick, read]) => {
      const h = sequentialHistory(
        specs.map((s) => ({ ...s, timedOut: s.timedOut || s.before % 3 === 0 })),
        4,
      );
      const known = h.flatMap((op, i) => (op.output !== null ? [i] : []));
      const i = known[pick % Math.max(1, known.length)] ?? 0;
      const op = h[i] as KvOperation;
      if (op.output !== null && op.input.op === 'get') h[i] = { ...op, output: { value: read } };
      if (op.output !== null && op.input.op === 'cas') h[i] = { ...op, output: { ok: !('ok' in op.output && op.output.ok) } };
      return h;
    });
  const verdicts = { ok: 0, illegal: 0, unknown: 0 };
  fc.assert(
    fc.property(history, (h) => {
      const narrowed = checkKvHistory(h).kind;
      const full = checkOperations(carryingEverything, h).kind;
      verdicts[full]++;
      return narrowed === full || narrowed === 'unknown' || full === 'unknown';
    }),
    { numRuns: 500 },
  );
  t.ok(verdicts.ok > 25 && verdicts.illegal > 25, `both verdicts are exercised (${JSON.stringify(verdicts)})`);
});

/** About 400 operations over 8 keys from 10 clients, ~10% with unknown outcome. */
function simulatorSizedHistory(rng: Rng): KvOperation[] {
  const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
  const kinds: KvInput['op'][] = ['put', 'get', 'get', 'cas', 'delete'];
  const specs: OpSpec[] = Array.from({ length: 400 }, () => ({
    kind: kinds[rng.int(kinds.length)] as KvInput['op'],
    key: keys[rng.int(keys.length)] as string,
    value: `v${rng.int(1000)}`,
    expectCurrent: rng.int(2) === 0,
    expected: `v${rng.int(1000)}`,
    before: rng.int(30),
    after: rng.int(30),
    clientId: rng.int(10),
    timedOut: rng.int(10) === 0,
    takesEffect: rng.int(2) === 0,
  }));
  return sequentialHistory(specs, 2);
}

t.test('a simulator-sized history of 400 operations over 8 keys with timeouts checks', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const h = simulatorSizedHistory(seededRng(seed));
    t.equal(checkKvHistory(h).kind, 'ok', `seed ${seed}`);
  }
});

t.test('a simulator-sized history with one impossible read is found illegal', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const h = simulatorSizedHistory(seededRng(seed));
    let victim = h.length - 1;
    while (h[victim]?.input.op !== 'get' || h[victim]?.output === null) victim--;
    const op = h[victim] as KvOperation;
    h[victim] = { ...op, output: { value: 'never-written' } };
    const r = checkKvHistory(h);
    t.equal(r.kind, 'illegal', `seed ${seed}`);
    t.equal(r.kind !== 'ok' && r.key, op.input.key);
  }
});
