import { type ClientRequest, request } from 'node:http';
import t, { type Test } from 'tap';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * The apiserver's watch guarantee across a store failover: client watches of pods keep every
 * change exactly once and in order while the store's leader is killed (then, paused) under a
 * stream of writes, and every acknowledged write is readable afterwards. One cluster; each
 * fault has three watchers and writers of its own.
 */

const WRITERS = 2;
/** Acknowledged writes before the fault, and again after it. */
const ACKED_PER_STEP = 40;
/** A write may wait out an election inside the apiserver; past this it counts as not acknowledged. */
const WRITE_TIMEOUT_MS = 20_000;

interface WatchedEvent {
  readonly type: string;
  readonly name: string;
  readonly rv: number;
  readonly gen: string | undefined;
}

/**
 * A pod watch as client-go's reflector keeps one: a streaming GET from a resourceVersion, lines
 * parsed as they come; when the server ends the stream (or the connection breaks, or it answers
 * 5xx/429 while its cache re-lists), it watches again from the last resourceVersion it saw. An
 * ERROR event (410: the resourceVersion is gone) would force a re-list, which would hide lost
 * events, so it ends this watcher and is reported.
 */
class PodWatcher {
  readonly events: WatchedEvent[] = [];
  readonly errors: string[] = [];
  /** How many times it watched again after the stream ended. */
  rewatches = 0;
  private lastRv: number;
  private current: ClientRequest | undefined;
  private stopped = false;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    fromRv: number,
    /** Asks the server to end each stream after this long (0: never), to exercise re-watching. */
    private readonly timeoutSeconds = 0,
  ) {
    this.lastRv = fromRv;
  }

  /** The newest resourceVersion seen (events and bookmarks). */
  get resourceVersion(): number {
    return this.lastRv;
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  start(): void {
    if (this.stopped) return;
    const timeout = this.timeoutSeconds > 0 ? `&timeoutSeconds=${this.timeoutSeconds}` : '';
    const url = `${this.baseUrl}/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${this.lastRv}${timeout}`;
    let ended = false;
    const again = (delayMs: number): void => {
      if (ended) return;
      ended = true;
      if (this.stopped || this.failed) return;
      this.rewatches++;
      setTimeout(() => this.start(), delayMs);
    };
    const req = request(url, { headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        // 429/503 while the apiserver's cache is not ready: retry as client-go's backoff does.
        again(100);
        return;
      }
      res.setEncoding('utf8');
      let buffered = '';
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          this.onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
      res.on('end', () => again(0));
      res.on('error', () => again(0));
      res.on('close', () => again(0));
    });
    req.on('error', () => again(100));
    req.end();
    this.current = req;
  }

  stop(): void {
    this.stopped = true;
    this.current?.destroy();
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let e: {
      type?: string;
      object?: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> }; code?: number; message?: string };
    };
    try {
      e = JSON.parse(line);
    } catch {
      this.errors.push(`unparseable line: ${line.slice(0, 200)}`);
      return;
    }
    if (e.type === 'ERROR') {
      this.errors.push(`ERROR event: ${e.object?.code} ${e.object?.message}`);
      this.current?.destroy();
      return;
    }
    const rv = Number(e.object?.metadata?.resourceVersion);
    if (!Number.isSafeInteger(rv)) {
      this.errors.push(`an event without a resourceVersion: ${line.slice(0, 200)}`);
      return;
    }
    if (e.type !== 'BOOKMARK') this.events.push({ type: e.type ?? '', name: e.object?.metadata?.name ?? '', rv, gen: e.object?.metadata?.labels?.gen });
    this.lastRv = rv;
  }
}

interface AckedWrite {
  readonly kind: 'create' | 'update';
  readonly name: string;
  readonly gen: string;
  readonly rv: number;
}

interface AttemptedWrite {
  readonly name: string;
  readonly gen: string;
  /** Set once the apiserver answered 200/201; absent if the write was not acknowledged. */
  acked?: AckedWrite;
  /** How long the apiserver took to answer (or fail). */
  tookMs?: number;
}

/**
 * Writers of pods in the default namespace: each creates a pod every third write and otherwise
 * relabels one of its own pods (a merge patch of label `gen`), one write at a time. Every
 * attempt is recorded; an error or timeout leaves it unacknowledged (it may still have landed).
 */
class PodWriters {
  readonly attempts: AttemptedWrite[] = [];
  readonly acked: AckedWrite[] = [];
  private readonly mine = new Map<number, string[]>();
  private writing = false;
  private running: Promise<void>[] = [];
  private round = 0;

  constructor(
    private readonly podsUrl: string,
    private readonly auth: Record<string, string>,
    /** Names pods `fo-<prefix>-…`, so that scenarios do not share pods. */
    private readonly prefix: string,
  ) {}

  start(): void {
    this.writing = true;
    this.round++;
    this.running = Array.from({ length: WRITERS }, (_, i) => this.write(i, this.round));
  }

  async stop(): Promise<void> {
    this.writing = false;
    await Promise.all(this.running);
  }

  get longestWriteMs(): number {
    return Math.max(0, ...this.attempts.map((a) => a.tookMs ?? 0));
  }

  private async write(id: number, round: number): Promise<void> {
    const mine = this.mine.get(id) ?? [];
    this.mine.set(id, mine);
    for (let n = 0; this.writing; n++) {
      const gen = `w${id}-r${round}-${n}`;
      const create = n % 3 === 0 || mine.length === 0;
      const name = create ? `fo-${this.prefix}-${id}-${round}-${n}` : (mine[n % mine.length] as string);
      const attempt: AttemptedWrite = { name, gen };
      this.attempts.push(attempt);
      const startedMs = Date.now();
      try {
        const res = create
          ? await fetch(this.podsUrl, {
              method: 'POST',
              headers: { ...this.auth, 'content-type': 'application/json' },
              body: JSON.stringify({
                apiVersion: 'v1',
                kind: 'Pod',
                metadata: { name, labels: { gen } },
                spec: { containers: [{ name: 'main', image: 'busybox' }] },
              }),
              signal: AbortSignal.timeout(WRITE_TIMEOUT_MS),
            })
          : await fetch(`${this.podsUrl}/${name}`, {
              method: 'PATCH',
              headers: { ...this.auth, 'content-type': 'application/merge-patch+json' },
              body: JSON.stringify({ metadata: { labels: { gen } } }),
              signal: AbortSignal.timeout(WRITE_TIMEOUT_MS),
            });
        const body = (await res.json()) as { metadata?: { resourceVersion?: string } };
        if (res.status === 200 || res.status === 201) {
          attempt.acked = { kind: create ? 'create' : 'update', name, gen, rv: Number(body.metadata?.resourceVersion) };
          this.acked.push(attempt.acked);
          if (create) mine.push(name);
        }
      } catch {
        /* not acknowledged: it may or may not have been applied */
      }
      attempt.tookMs = Date.now() - startedMs;
    }
  }
}

const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const auth = { authorization: `Bearer ${cluster.token}` };
const podsUrl = `${cluster.url}/api/v1/namespaces/default/pods`;

/** Three watchers from one list resourceVersion, and the writers whose writes they must see. */
interface Scenario {
  readonly startRv: number;
  readonly watchers: readonly PodWatcher[];
  readonly writers: PodWriters;
}

async function startScenario(t: Test, name: string): Promise<Scenario> {
  const list = (await (await fetch(podsUrl, { headers: auth })).json()) as { metadata: { resourceVersion: string } };
  const startRv = Number(list.metadata.resourceVersion);
  // One long-lived stream, and two the server ends every 1 s and 3 s: those re-watch from their
  // last resourceVersion many times, before, during and after the fault.
  const watchers = [0, 1, 3].map((timeoutSeconds) => new PodWatcher(cluster.url, cluster.token, startRv, timeoutSeconds));
  for (const w of watchers) w.start();
  t.teardown(() => {
    for (const w of watchers) w.stop();
  });
  return { startRv, watchers, writers: new PodWriters(podsUrl, auth, name) };
}

/**
 * Writes through `fault()`: ACKED_PER_STEP acknowledged writes before it and as many after,
 * and lets the watcher with 1 s streams re-watch at least once after the fault.
 */
async function writeThrough(s: Scenario, fault: () => Promise<void>): Promise<void> {
  s.writers.start();
  await pollUntil(`${ACKED_PER_STEP} acknowledged writes`, () => s.writers.acked.length >= ACKED_PER_STEP, 30_000);
  await fault();
  const atFault = s.writers.acked.length;
  const rewatchesAtFault = (s.watchers[1] as PodWatcher).rewatches;
  await pollUntil(`${ACKED_PER_STEP} more acknowledged writes after the fault`, () => s.writers.acked.length >= atFault + ACKED_PER_STEP, 60_000);
  await pollUntil('a re-watch after the fault', () => (s.watchers[1] as PodWatcher).rewatches > rewatchesAtFault, 30_000);
  await s.writers.stop();
}

/** The store leader as a surviving replica sees it: not 0 and not `not`. */
function leaderOtherThan(not: number, asking: number): Promise<number> {
  return pollUntil(
    `a leader other than replica ${not}`,
    async () => {
      const st = await cluster.store.statusOf(asking);
      return st.leader !== 0 && st.leader !== not ? st.leader : undefined;
    },
    30_000,
    100,
  );
}

/** How many watch requests these store replicas have served (their client request counter). */
async function storeWatchRequests(ids: readonly number[]): Promise<number> {
  let total = 0;
  for (const id of ids) {
    const text = await (await fetch(`http://127.0.0.1:${cluster.store.replica(id).clientPort}/metrics`)).text();
    for (const m of text.matchAll(/^picokube_store_client_requests_total\{[^}]*op="watch"[^}]*\} (\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

/**
 * Everything watched against everything written: each watcher in order with no repeat, all
 * three identical, every acknowledged write once at its resourceVersion, and every pod readable
 * at or after its last acknowledged write.
 */
async function checkWatchersAndReads(t: Test, s: Scenario): Promise<void> {
  const { watchers, startRv } = s;
  const { acked, attempts } = s.writers;
  t.ok(acked.length >= 2 * ACKED_PER_STEP, `${acked.length} of ${attempts.length} writes acknowledged; the longest took ${s.writers.longestWriteMs} ms`);
  const lastRv = Math.max(...acked.map((w) => w.rv));
  await pollUntil('every watcher caught up to the last acknowledged write', () => watchers.every((w) => w.failed || w.resourceVersion >= lastRv), 30_000);
  for (const [i, w] of watchers.entries()) {
    t.same(w.errors, [], `watcher ${i} saw no ERROR event (no 410: it never had to re-list)`);
    const rvs = w.events.map((e) => e.rv);
    t.ok(
      rvs.every((rv, k) => k === 0 || rv > (rvs[k - 1] as number)),
      `watcher ${i}: resourceVersions strictly increase over ${rvs.length} events (${w.rewatches} re-watches): in order, none twice`,
    );
    const byRv = new Map(w.events.map((e) => [e.rv, e]));
    const missing = acked.filter((a) => {
      const e = byRv.get(a.rv);
      return e === undefined || e.name !== a.name || e.gen !== a.gen || e.type !== (a.kind === 'create' ? 'ADDED' : 'MODIFIED');
    });
    t.same(missing, [], `watcher ${i} saw each of the ${acked.length} acknowledged writes at its resourceVersion`);
    t.ok(
      w.events.every((e) => e.rv > startRv && e.name.startsWith('fo-')),
      `watcher ${i} saw only changes after its start, all of them the writers'`,
    );
  }
  const sequence = (w: PodWatcher): string[] => w.events.map((e) => `${e.type} ${e.name} ${e.rv}`);
  t.same(sequence(watchers[1] as PodWatcher), sequence(watchers[0] as PodWatcher), 'watchers 0 and 1 saw the identical sequence');
  t.same(sequence(watchers[2] as PodWatcher), sequence(watchers[0] as PodWatcher), 'watchers 0 and 2 saw the identical sequence');

  // Readable afterwards: the newest state of each pod is no older than its last acknowledged
  // write, and carries that write's label unless a later unacknowledged attempt landed.
  const lastAcked = new Map<string, AckedWrite>();
  for (const a of acked) if ((lastAcked.get(a.name)?.rv ?? 0) < a.rv) lastAcked.set(a.name, a);
  const unreadable: string[] = [];
  for (const [name, a] of lastAcked) {
    const res = await fetch(`${podsUrl}/${name}`, { headers: auth });
    const pod = (await res.json()) as { metadata?: { resourceVersion?: string; labels?: Record<string, string> } };
    const rv = Number(pod.metadata?.resourceVersion);
    const gen = pod.metadata?.labels?.gen;
    const later = attempts.slice(attempts.findIndex((x) => x.acked === a) + 1).filter((x) => x.name === name && x.acked === undefined);
    if (res.status !== 200 || !(rv >= a.rv) || !(gen === a.gen || later.some((x) => x.gen === gen))) {
      unreadable.push(`${name}: HTTP ${res.status}, rv ${rv} (acked ${a.rv}), gen ${gen} (acked ${a.gen})`);
    }
  }
  t.same(unreadable, [], `all ${lastAcked.size} pods read back at or after their last acknowledged write`);
}

/** Waits until replica `id` follows `leader` and has applied everything up to `revision`. */
function rejoined(id: number, leader: number, revision: number): Promise<unknown> {
  return pollUntil(
    `replica ${id} to follow replica ${leader} and reach revision ${revision}`,
    async () => {
      const st = await cluster.store.statusOf(id);
      return st.leader === leader && st.revision >= revision ? st : undefined;
    },
    60_000,
    200,
  );
}

t.test(
  'killing the store leader under 3 pod watchers and a writer: every watcher sees every change once, in order, and every acknowledged write is readable',
  async (t) => {
    const s = await startScenario(t, 'kill');
    const oldLeader = await cluster.store.waitForLeader();
    const survivors = cluster.store.replicas.map((r) => r.id).filter((id) => id !== oldLeader);
    const watchesBefore = await storeWatchRequests(survivors);
    await writeThrough(s, () => cluster.store.kill(oldLeader));
    const newLeader = await leaderOtherThan(oldLeader, survivors[0] as number);
    t.pass(`replica ${newLeader} leads after replica ${oldLeader} was killed`);
    // A condition to wait for, not to sample: the store client notices a dead replica on its own schedule.
    await pollUntil(
      "the apiserver's store watches to resume on the surviving replicas",
      async () => (await storeWatchRequests(survivors)) > watchesBefore,
      30_000,
      200,
    );
    t.pass("the apiserver's store watches resumed on the surviving replicas");
    await checkWatchersAndReads(t, s);

    await cluster.store.restart(oldLeader);
    await rejoined(oldLeader, newLeader, Math.max(...s.writers.acked.map((w) => w.rv)));
    t.pass(`the killed replica ${oldLeader} restarted, follows replica ${newLeader} and caught up`);
  },
);

t.test(
  'pausing the store leader (SIGSTOP): the apiserver gives up on its silent connection and every watcher still sees every change once, in order',
  async (t) => {
    // A fresh apiserver opens its store watches on the current leader (the last failover spread
    // them over the survivors), so that pausing the leader is sure to pause them.
    await cluster.stopApiserver(0);
    await cluster.startApiserver(0);
    const s = await startScenario(t, 'pause');
    const paused = await cluster.store.waitForLeader();
    const proc = cluster.store.replica(paused).proc;
    const survivors = cluster.store.replicas.map((r) => r.id).filter((id) => id !== paused);
    t.teardown(() => {
      proc?.kill('SIGCONT');
    });
    const watchesBefore = await storeWatchRequests(survivors);
    // A paused replica keeps its sockets open and answers nothing: only the store client's
    // keepalive can tell, and move the apiserver's store watches to another replica.
    await writeThrough(s, async () => {
      proc?.kill('SIGSTOP');
    });
    const newLeader = await leaderOtherThan(paused, survivors[0] as number);
    t.pass(`replica ${newLeader} leads while replica ${paused} is paused`);
    await pollUntil(
      "the apiserver's store watches to move off the paused replica",
      async () => (await storeWatchRequests(survivors)) > watchesBefore,
      30_000,
      200,
    );
    t.pass("the apiserver's store watches moved off the paused replica (its keepalive gave up on it)");
    await checkWatchersAndReads(t, s);

    proc?.kill('SIGCONT');
    await rejoined(paused, newLeader, Math.max(...s.writers.acked.map((w) => w.rv)));
    t.pass(`the paused replica ${paused} resumed as a follower of replica ${newLeader} and caught up`);
  },
);
