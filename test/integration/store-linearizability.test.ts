import t from 'tap';
import type { KvOperation } from '../../raft/sim/history.js';
import { checkKvHistory } from '../../raft/sim/kv-model.js';
import { StoreError } from '../../raft/client/store-client.js';
import { StoreCluster } from '../helpers/store-cluster.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Concurrent clients run puts, compare-and-sets and linearizable reads on a few keys against
 * three real replica processes while the leader is killed and restarted; the recorded history
 * must pass the same linearizability checker the simulator uses.
 */
t.test('a history recorded against real replicas across a leader kill is linearizable', async (t) => {
  const cluster = await StoreCluster.start(3);
  t.teardown(() => cluster.stop(!t.passing()));
  const history: KvOperation[] = [];
  const keys = ['a', 'b', 'c'];
  let stop = false;
  let seq = 0;
  const clientLoop = async (clientId: number) => {
    const client = cluster.client({ attemptTimeoutMs: 1000, requestTimeoutMs: 4000 });
    const lastSeen = new Map<string, string | null>();
    let n = 0;
    while (!stop) {
      const key = keys[n % keys.length] as string;
      const kind = (n * 7 + clientId) % 3;
      n++;
      const call = performance.now();
      if (kind === 0) {
        try {
          const r = await client.range(`lin/${key}`);
          const value = r.kvs[0] ? dec.decode(r.kvs[0].value) : null;
          lastSeen.set(key, value);
          history.push({ clientId, input: { op: 'get', key }, call, return: performance.now(), output: { value } });
        } catch {
          /* a failed read changed nothing: left out */
        }
      } else if (kind === 1) {
        const value = `c${clientId}-${++seq}`;
        try {
          await client.put(`lin/${key}`, enc.encode(value));
          history.push({ clientId, input: { op: 'put', key, value }, call, return: performance.now(), output: { ok: true } });
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          history.push({ clientId, input: { op: 'put', key, value }, call, return: null, output: null });
        }
      } else {
        const value = `c${clientId}-${++seq}`;
        const expected = lastSeen.get(key) ?? null;
        try {
          const r = await client.txn({
            compare:
              expected === null
                ? [{ key: `lin/${key}`, target: 'createRevision', result: '=', operand: 0 }]
                : [{ key: `lin/${key}`, target: 'value', result: '=', operand: enc.encode(expected) }],
            success: [{ t: 'put', key: `lin/${key}`, value: enc.encode(value) }],
            failure: [],
          });
          if (r.succeeded) lastSeen.set(key, value);
          history.push({ clientId, input: { op: 'cas', key, expected, value }, call, return: performance.now(), output: { ok: r.succeeded } });
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          history.push({ clientId, input: { op: 'cas', key, expected, value }, call, return: null, output: null });
        }
      }
    }
  };
  const loops = [1, 2, 3, 4].map(clientLoop);
  const waitOps = async (count: number) => {
    while (history.length < count) await new Promise((r) => setTimeout(r, 20));
  };
  await waitOps(150);
  const leader = await cluster.waitForLeader();
  await cluster.kill(leader);
  await waitOps(history.length + 150);
  await cluster.restart(leader);
  await cluster.waitForLeader();
  await waitOps(history.length + 150);
  stop = true;
  await Promise.all(loops);
  const result = checkKvHistory(history);
  t.equal(result.kind, 'ok', `the history of ${history.length} operations is linearizable`);
  t.ok(history.filter((h) => h.return !== null).length > 400, 'most operations completed');
});
