import type { KvOperation } from '../../raft/sim/history.js';
import { checkKvHistory } from '../../raft/sim/kv-model.js';

/**
 * The verdicts a drill checks, each a pure function over what the drill recorded. A verdict
 * names the property, says PASS or FAIL, and gives the evidence in one line.
 */
export interface Verdict {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

const MAX_LISTED = 5;

function listSome(items: readonly string[]): string {
  return items.length <= MAX_LISTED ? items.join(', ') : `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

/**
 * No acknowledged write lost: every key whose write the client saw acknowledged reads back at
 * the end with the value of its last acknowledged write (each key is written by one client only,
 * so that value is the last one it can have, unless a later unacknowledged write took effect:
 * `alsoPossible` lists those values).
 */
export function acknowledgedWritesPresent(
  name: string,
  acked: ReadonlyMap<string, string>,
  finalValues: ReadonlyMap<string, string>,
  alsoPossible: ReadonlyMap<string, readonly string[]> = new Map(),
): Verdict {
  const lost: string[] = [];
  for (const [key, value] of acked) {
    const now = finalValues.get(key);
    if (now === value) continue;
    if (now !== undefined && alsoPossible.get(key)?.includes(now)) continue;
    lost.push(now === undefined ? `${key} (missing)` : `${key} (reads ${JSON.stringify(now)}, acknowledged ${JSON.stringify(value)})`);
  }
  return {
    name,
    pass: lost.length === 0,
    detail:
      lost.length === 0 ? `${acked.size} acknowledged writes all read back` : `${lost.length} of ${acked.size} acknowledged writes lost: ${listSome(lost)}`,
  };
}

/** The store's history is linearizable (the simulator's checker, on the history recorded at the store client). */
export function historyLinearizable(history: readonly KvOperation[], maxSteps = 2_000_000): Verdict {
  const name = 'store history linearizable';
  const result = checkKvHistory(history, { maxSteps });
  if (result.kind === 'ok')
    return { name, pass: true, detail: `${history.length} operations (${history.filter((h) => h.return === null).length} with unknown outcome) linearize` };
  const first = result.reason.split('\n')[0] ?? '';
  return {
    name,
    pass: false,
    detail: `${result.kind === 'illegal' ? 'NOT linearizable' : 'undecided (search budget spent)'} on key ${JSON.stringify(result.key)}: ${first}`,
  };
}

/** One change a watcher delivered: the object's key and its resourceVersion. */
export interface SeenChange {
  readonly key: string;
  readonly rv: number;
}

/**
 * A watch saw every change exactly once and in order: the resourceVersions it delivered strictly
 * increase (so none came twice or out of order) and every acknowledged write (its key and the
 * resourceVersion the write answered) is among them. After a 410 (`gaps`: the apiserver
 * restarted and its watch cache begins later) a client must relist; an acknowledged change the
 * stream missed then counts as seen when the relist (`relisted`) shows that object at that
 * version or a newer one, and the detail says how many were seen that way.
 */
export function watchExactlyOnceInOrder(
  name: string,
  seen: readonly SeenChange[],
  ackedWrites: readonly SeenChange[],
  gaps: readonly string[] = [],
  relisted: readonly SeenChange[] = [],
): Verdict {
  const disorder: string[] = [];
  for (let i = 1; i < seen.length; i++) {
    const prev = seen[i - 1] as SeenChange;
    const cur = seen[i] as SeenChange;
    if (cur.rv <= prev.rv) disorder.push(`${cur.key}@${cur.rv} after ${prev.key}@${prev.rv}`);
  }
  const delivered = new Set(seen.map((s) => `${s.key}@${s.rv}`));
  const notDelivered = ackedWrites.filter((w) => !delivered.has(`${w.key}@${w.rv}`));
  const byRelist = notDelivered.filter((w) => relisted.some((r) => r.key === w.key && r.rv >= w.rv));
  const missed = notDelivered.filter((w) => !byRelist.includes(w)).map((w) => `${w.key}@${w.rv}`);
  const problems = [
    ...(disorder.length ? [`${disorder.length} out of order or repeated: ${listSome(disorder)}`] : []),
    ...(missed.length ? [`${missed.length} acknowledged changes never seen: ${listSome(missed)}`] : []),
  ];
  const gapNote = gaps.length
    ? `; ${gaps.length} resumes refused (${gaps[0]}), relisted, ${byRelist.length} acknowledged changes seen through a relist only`
    : '';
  return {
    name,
    pass: problems.length === 0,
    detail: `${problems.length === 0 ? `${seen.length} changes in order, all ${ackedWrites.length} acknowledged ones among them` : problems.join('; ')}${gapNote}`,
  };
}

/**
 * An informer delivered each object's versions in order, none twice (a relist after 410 may
 * rightly skip intermediate versions), and its cache ends equal to the server's list.
 */
export function informerInOrder(
  name: string,
  seen: readonly SeenChange[],
  cacheAtEnd: ReadonlyMap<string, number>,
  serverAtEnd: ReadonlyMap<string, number>,
): Verdict {
  const last = new Map<string, number>();
  const disorder: string[] = [];
  for (const s of seen) {
    const before = last.get(s.key);
    if (before !== undefined && s.rv <= before) disorder.push(`${s.key}@${s.rv} after @${before}`);
    last.set(s.key, s.rv);
  }
  const differ: string[] = [];
  for (const [key, rv] of serverAtEnd) if (cacheAtEnd.get(key) !== rv) differ.push(`${key}: cache ${cacheAtEnd.get(key) ?? 'none'}, server ${rv}`);
  for (const key of cacheAtEnd.keys()) if (!serverAtEnd.has(key)) differ.push(`${key}: in the cache only`);
  const problems = [
    ...(disorder.length ? [`${disorder.length} versions out of order or repeated: ${listSome(disorder)}`] : []),
    ...(differ.length ? [`cache differs from the server: ${listSome(differ)}`] : []),
  ];
  return {
    name,
    pass: problems.length === 0,
    detail: problems.length === 0 ? `${seen.length} deliveries in order; the cache matches the server's ${serverAtEnd.size} objects` : problems.join('; '),
  };
}

/** What a pod watch saw of one pod: its uid and the node it was bound to (once bound). */
export interface BindingSeen {
  readonly pod: string;
  readonly uid: string;
  readonly node: string;
}

/** No pod was ever bound to two nodes: each pod uid shows one nodeName in every event after its binding. */
export function noPodBoundTwice(seen: readonly BindingSeen[]): Verdict {
  const nodeOf = new Map<string, string>();
  const twice: string[] = [];
  for (const b of seen) {
    const before = nodeOf.get(b.uid);
    if (before !== undefined && before !== b.node) twice.push(`${b.pod} on ${before} and ${b.node}`);
    nodeOf.set(b.uid, b.node);
  }
  return { name: 'no pod bound to two nodes', pass: twice.length === 0, detail: twice.length === 0 ? `${nodeOf.size} pods, each bound once` : listSome(twice) };
}

/** Every workload was back at its desired count within `limitMs` after the fault healed. */
export function convergedInTime(what: string, afterHealMs: number | undefined, limitMs: number, notYet: string): Verdict {
  const name = `${what} back at desired counts within ${Math.round(limitMs / 1000)} s`;
  if (afterHealMs === undefined) return { name, pass: false, detail: `not after ${Math.round(limitMs / 1000)} s: ${notYet}` };
  return { name, pass: afterHealMs <= limitMs, detail: `${(afterHealMs / 1000).toFixed(1)} s after the fault healed` };
}

/** One replica's `endpoint hash` answer. */
export interface ReplicaHash {
  readonly endpoint: string;
  readonly hash?: number;
  readonly revision?: number;
  readonly error?: string;
}

/** The replicas end with identical data: every one answers the same hash of the key space at one revision. */
export function replicasIdentical(rows: readonly ReplicaHash[]): Verdict {
  const name = 'store replicas hold identical data';
  const failed = rows.filter((r) => r.error !== undefined || r.hash === undefined);
  if (failed.length > 0) return { name, pass: false, detail: `no hash from ${failed.map((r) => `${r.endpoint} (${r.error ?? 'no answer'})`).join(', ')}` };
  const revisions = new Set(rows.map((r) => r.revision));
  const hashes = new Set(rows.map((r) => r.hash));
  const table = rows.map((r) => `${r.endpoint}=${r.hash}@${r.revision}`).join(', ');
  if (revisions.size !== 1) return { name, pass: false, detail: `hashes at different revisions: ${table}` };
  return {
    name,
    pass: hashes.size === 1,
    detail: hashes.size === 1 ? `${rows.length} replicas hash ${rows[0]?.hash} at revision ${rows[0]?.revision}` : `hashes differ: ${table}`,
  };
}

/** A property checked by the drill itself (writes stopped, the old leader stepped down…). */
export function observed(name: string, pass: boolean, detail: string): Verdict {
  return { name, pass, detail };
}

/**
 * Write unavailability: the longest stretch in [start, end] without a successful write
 * completing (the edges count: a window with no success at all is unavailable throughout).
 */
export function longestGapMs(successTimes: readonly number[], start: number, end: number): number {
  const inside = successTimes.filter((t) => t >= start && t <= end).sort((a, b) => a - b);
  let longest = 0;
  let prev = start;
  for (const t of inside) {
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, end - prev);
}
