import { performance } from 'node:perf_hooks';
import { Resources } from '../../kube/client/resource.js';
import type { RestClient } from '../../kube/client/rest-client.js';
import type { WsStoreClient } from '../../raft/client/ws-store-client.js';
import { pollUntil, sleep } from '../bench/processes.js';
import { ApiWorkload, desiredCountsShortfall } from './api-workload.js';
import type { DrillCluster } from './drill-cluster.js';
import type { DrillPlan } from './drill-plan.js';
import type { DrillReport, TimelineEntry } from './drill-report.js';
import { readPrefix, StoreWorkload } from './store-workload.js';
import {
  acknowledgedWritesPresent,
  convergedInTime,
  historyLinearizable,
  informerInOrder,
  longestGapMs,
  noPodBoundTwice,
  observed,
  type ReplicaHash,
  replicasIdentical,
  type Verdict,
  watchExactlyOnceInOrder,
} from './verdicts.js';

/** What a drill's fault step may use: the cluster, its plan, the timeline, and a few levers. */
export interface DrillContext {
  readonly cluster: DrillCluster;
  readonly plan: DrillPlan;
  /** A store client of the drill's own (not the workload's). */
  readonly store: WsStoreClient;
  note(what: string): void;
  /** Marks the fault's start (for the report) and its heal (convergence is timed from it). */
  faultStarted(): void;
  healed(): void;
  /** Adds a verdict the drill observed itself. */
  verdict(v: Verdict): void;
  /** Stops the workloads' writes now (backup-restore: everything acknowledged is in the backup). */
  stopWrites(): Promise<void>;
  /** performance.now() of the fault's start, once marked. */
  readonly faultAt: number | undefined;
  /** When the store workload's writes succeeded so far (performance.now() ms). */
  storeWriteTimes(): readonly number[];
  /** When the apiserver workload's writes succeeded so far (performance.now() ms). */
  apiWriteTimes(): readonly number[];
}

/** One drill: its fault and its heal. The runner runs the workload around it and checks the verdicts after. */
export interface DrillDefinition {
  readonly summary: string;
  inject(ctx: DrillContext): Promise<void>;
}

const STORE_CLIENTS = 3;
const CATCH_UP_MS = 30_000;

/**
 * Runs one drill: the workloads start, run for the warmup, the fault is injected and healed,
 * the workloads run on for the settle time and stop; then every verdict is checked. Never
 * throws for a cluster that misbehaves: a drill that cannot finish reports a FAIL saying why.
 */
export async function runDrill(cluster: DrillCluster, plan: DrillPlan, def: DrillDefinition, log: (line: string) => void = () => {}): Promise<DrillReport> {
  const t0 = performance.now();
  const timeline: TimelineEntry[] = [];
  const verdicts: Verdict[] = [];
  const note = (what: string): void => {
    const e = { atMs: performance.now() - t0, what };
    timeline.push(e);
    log(`  ${((e.atMs / 1000).toFixed(2)).padStart(7)} s  ${what}`);
  };
  const runId = `${plan.name}-${plan.seed}-${Date.now().toString(36)}`;
  const namespace = `drill-${runId}`.slice(0, 63).replace(/-+$/, '');
  const storeClients = Array.from({ length: STORE_CLIENTS }, () => cluster.storeClient());
  const own = cluster.storeClient({ requestTimeoutMs: 10_000 });
  const api: RestClient = cluster.apiClient();
  let storeWork: StoreWorkload | undefined;
  let apiWork: ApiWorkload | undefined;
  let faultAt: number | undefined;
  let healedAt: number | undefined;
  let convergeMs: number | undefined;
  let workStart = performance.now();
  let workEnd: number | undefined;
  let error: string | undefined;
  const stopWrites = async (): Promise<void> => {
    await Promise.all([storeWork?.stop(), apiWork?.stopWriting()]);
    workEnd ??= performance.now();
  };
  try {
    note(`${def.summary}; workload in namespace ${namespace}`);
    const before = await cluster.restartExited();
    if (before.length > 0) note(`restarted ${before.join(', ')}: found exited before the drill, and no launcher supervises this cluster`);
    // A drill before this one may have failed half-way, leaving the launcher bringing components back.
    const awaited = await cluster.untilWhole();
    if (awaited.length > 0) note(`waited for ${awaited.join(', ')} to run and be ready before starting`);
    apiWork = await ApiWorkload.start(api, namespace);
    storeWork = new StoreWorkload(storeClients, runId);
    workStart = performance.now();
    note('workloads running');
    await sleep(plan.warmupMs);
    const ctx: DrillContext = {
      cluster,
      plan,
      store: own,
      note,
      faultStarted: () => {
        faultAt = performance.now();
      },
      healed: () => {
        healedAt = performance.now();
      },
      verdict: (v) => verdicts.push(v),
      stopWrites,
      get faultAt() {
        return faultAt;
      },
      storeWriteTimes: () => storeWork?.record.writeSuccessTimes ?? [],
      apiWriteTimes: () => apiWork?.record.writeSuccessTimes ?? [],
    };
    await def.inject(ctx);
    healedAt ??= performance.now();
    note('fault healed');
    const restarted = await cluster.restartExited();
    if (restarted.length > 0) note(`restarted ${restarted.join(', ')}: exited during the fault (lost its Lease) and no launcher supervises this cluster`);
    await sleep(plan.settleMs);
    await stopWrites();
    note('workloads stopped; checking');
    verdicts.push(...(await checkVerdicts(cluster, own, api, storeWork, apiWork, namespace)));
    const limitMs = plan.convergeLimitMs;
    let shortfall = 'not checked';
    const deadline = healedAt + limitMs;
    for (;;) {
      shortfall = (await desiredCountsShortfall(api, namespace).catch((e: Error) => `apiserver: ${e.message}`)) ?? '';
      if (shortfall === '') {
        convergeMs = performance.now() - healedAt;
        break;
      }
      if (performance.now() > deadline) break;
      await sleep(250);
    }
    verdicts.push(convergedInTime('Deployments and ReplicaSets', convergeMs, limitMs, shortfall));
    note(convergeMs === undefined ? `not converged: ${shortfall}` : 'workloads at their desired counts');
  } catch (e) {
    error = (e as Error).stack ?? String(e);
    verdicts.push(observed('the drill ran to its end', false, (e as Error).message));
    note(`drill failed: ${(e as Error).message}`);
  } finally {
    await stopWrites().catch(() => {});
    cluster.releaseAll();
    await apiWork?.close().catch(() => {});
    await api.delete(Resources.namespaces, namespace).catch(() => {});
    api.close();
    await Promise.all([...storeClients, own].map((c) => c.close().catch(() => {})));
  }
  const end = workEnd ?? performance.now();
  const from = workStart;
  const figures = (rec: { ok: number; failed: number; writeSuccessTimes: readonly number[] } | undefined) => ({
    ok: rec?.ok ?? 0,
    failed: rec?.failed ?? 0,
    writeUnavailableMs: rec ? longestGapMs(rec.writeSuccessTimes, from, end) : 0,
  });
  return {
    name: plan.name,
    seed: plan.seed,
    plan,
    timeline,
    store: figures(storeWork?.record),
    api: figures(apiWork?.record),
    verdicts,
    convergeMs,
    durationMs: performance.now() - t0,
    pass: verdicts.length > 0 && verdicts.every((v) => v.pass),
    ...(error !== undefined ? { error } : {}),
  };
}

async function checkVerdicts(
  cluster: DrillCluster,
  store: WsStoreClient,
  api: RestClient,
  storeWork: StoreWorkload,
  apiWork: ApiWorkload,
  namespace: string,
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  const sr = storeWork.record;
  const finalStore = await pollUntil('the store to answer a read', () => readPrefix(store, storeWork.ackPrefix), CATCH_UP_MS, 200);
  out.push(acknowledgedWritesPresent('no acknowledged store write lost', sr.acked, finalStore, sr.maybe));
  out.push(historyLinearizable(sr.history));

  const ar = apiWork.record;
  const cms = await pollUntil('the apiserver to list ConfigMaps', () => api.list(Resources.configmaps, { namespace }), CATCH_UP_MS, 200);
  const finalApi = new Map(cms.items.map((o) => [o.metadata.name ?? '', String((o as { data?: { v?: string } }).data?.v)]));
  out.push(acknowledgedWritesPresent('no acknowledged apiserver write lost', ar.acked, finalApi, ar.maybe));
  // The observers are caught up once they have delivered the newest acknowledged change (or time is up).
  const last = apiWork.lastAckedRv();
  await pollUntil(
    'the watchers to catch up',
    () => (ar.watchSeen.some((s) => s.rv >= last) && ar.informerSeen.some((s) => s.rv >= last)) || undefined,
    CATCH_UP_MS,
    100,
  ).catch(() => {});
  out.push(watchExactlyOnceInOrder('a raw watch saw every change once, in order', ar.watchSeen, ar.ackedWrites, ar.watchGaps, ar.watchRelisted));
  const serverRvs = new Map(cms.items.map((o) => [o.metadata.name ?? '', Number(o.metadata.resourceVersion)]));
  const cacheRvs = new Map(apiWork.informer.lister.list().map((o) => [o.metadata.name ?? '', Number(o.metadata.resourceVersion)]));
  out.push(informerInOrder('an informer saw every object in order', ar.informerSeen, cacheRvs, serverRvs));
  out.push(noPodBoundTwice(ar.bindings));
  out.push(await storeHashes(cluster, store));
  return out;
}

/**
 * Every replica's hash of the key space at one revision (the leader's current one), retried
 * until all have applied it and agree, or time is up (then the last answers are judged).
 */
export async function storeHashes(cluster: DrillCluster, store: WsStoreClient, timeoutMs = CATCH_UP_MS): Promise<Verdict> {
  const deadline = performance.now() + timeoutMs;
  let verdict: Verdict = observed('store replicas hold identical data', false, 'no answer');
  for (;;) {
    try {
      const { revision } = await store.status();
      const rows: ReplicaHash[] = await Promise.all(
        cluster.storeEndpoints().map(async (endpoint) => {
          try {
            const r = await store.callOn<{ hash: number; revision: number }>(endpoint, { op: 'hash', revision });
            return { endpoint, hash: r.hash, revision: r.revision };
          } catch (e) {
            return { endpoint, error: (e as Error).message };
          }
        }),
      );
      verdict = replicasIdentical(rows);
    } catch (e) {
      verdict = observed('store replicas hold identical data', false, (e as Error).message);
    }
    if (verdict.pass || performance.now() > deadline) return verdict;
    await sleep(300);
  }
}
