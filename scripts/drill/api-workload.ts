import { performance } from 'node:perf_hooks';
import { ListWatchInformer } from '../../kube/cache/informer.js';
import { type ApiClient, isAlreadyExists, type WatchEvent, type WatchHandle } from '../../kube/client/api-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import type { BindingSeen, SeenChange } from './verdicts.js';

/** The Deployment every apiserver-level drill keeps running; its desired count is checked after the heal. */
export const DRILL_DEPLOYMENT = 'drill-web';
const DEPLOYMENT_REPLICAS = 3;

/** What the apiserver workload and its watchers recorded (times: performance.now() ms). */
export interface ApiWorkloadRecord {
  readonly ackedWrites: SeenChange[];
  /** ConfigMap → the `v` of its last acknowledged write. */
  readonly acked: Map<string, string>;
  /** ConfigMap → values of writes whose outcome the client never learned. */
  readonly maybe: Map<string, string[]>;
  readonly writeSuccessTimes: number[];
  /** What a raw watch stream saw (as `kubectl get -w` reads it, resumed from its last resourceVersion when it ends). */
  readonly watchSeen: SeenChange[];
  /** Why a raw watch could not resume (410 Expired: it relisted, and may have missed changes). */
  readonly watchGaps: string[];
  /** What the raw ConfigMap watch's relists after a gap found. */
  readonly watchRelisted: SeenChange[];
  /** What an informer's handlers were told. */
  readonly informerSeen: SeenChange[];
  readonly bindings: BindingSeen[];
  /** Gaps of the pod watch (its bindings after a relist come from the list). */
  readonly podWatchGaps: string[];
  ok: number;
  failed: number;
}

function rvOf(o: KubeObject): number {
  return Number(o.metadata.resourceVersion ?? 'NaN');
}

function configMap(namespace: string, name: string, v: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { v } } as KubeObject;
}

function deployment(namespace: string): KubeObject {
  const labels = { app: DRILL_DEPLOYMENT };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DRILL_DEPLOYMENT, namespace },
    spec: {
      replicas: DEPLOYMENT_REPLICAS,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  } as KubeObject;
}

/**
 * A raw watch that resumes where it left off, as a careful kubectl-style client would: each
 * event's resourceVersion is recorded; when the stream ends it is opened again from the last
 * one seen. A 410 Expired (the apiserver restarted, its watch cache begins later) is a gap:
 * recorded, then the watch relists and goes on from the list, as clients must.
 */
class ResumingWatch {
  private handle: WatchHandle | undefined;
  private stopped = false;
  lastRv: string;

  constructor(
    private readonly client: ApiClient,
    private readonly resource: (typeof Resources)[keyof typeof Resources],
    private readonly namespace: string,
    fromRv: string,
    private readonly onEvent: (e: WatchEvent) => void,
    private readonly onGap: (why: string) => void,
    private readonly onRelist: (items: readonly KubeObject[]) => void = () => {},
  ) {
    this.lastRv = fromRv;
    void this.run();
  }

  private async run(): Promise<void> {
    let expired = false;
    while (!this.stopped) {
      const handle = this.client.watch(this.resource, { namespace: this.namespace, resourceVersion: this.lastRv, timeoutSeconds: 30 }, (e) => {
        if (e.type === 'ERROR') {
          expired = true;
          this.onGap(`${this.resource.resource} watch from ${this.lastRv}: ${JSON.stringify((e.object as { message?: unknown }).message ?? e.object)}`);
          return;
        }
        if (e.type === 'BOOKMARK') return;
        this.lastRv = e.object.metadata.resourceVersion ?? this.lastRv;
        this.onEvent(e);
      });
      this.handle = handle;
      await handle.done.catch(() => {});
      if (expired && !this.stopped) {
        // As a client must after 410: relist, and watch on from the list's resourceVersion.
        const list = await this.client.list(this.resource, { namespace: this.namespace }).catch(() => undefined);
        if (list) {
          this.lastRv = list.metadata.resourceVersion ?? this.lastRv;
          this.onRelist(list.items);
          expired = false;
        }
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 200));
    }
  }

  stop(): void {
    this.stopped = true;
    this.handle?.stop();
  }
}

/**
 * The apiserver-level workload of a drill, in its own namespace: a writer creating ConfigMaps
 * and updating each once (every acknowledged write and its resourceVersion recorded), a
 * Deployment of three pods, and three observers: a raw ConfigMap watch, a ConfigMap informer,
 * and a raw pod watch recording which node each pod is bound to.
 */
export class ApiWorkload {
  readonly record: ApiWorkloadRecord = {
    ackedWrites: [],
    acked: new Map(),
    maybe: new Map(),
    writeSuccessTimes: [],
    watchSeen: [],
    watchGaps: [],
    watchRelisted: [],
    informerSeen: [],
    bindings: [],
    podWatchGaps: [],
    ok: 0,
    failed: 0,
  };
  private running = true;
  private writer: Promise<void> = Promise.resolve();
  private cmWatch: ResumingWatch | undefined;
  private podWatch: ResumingWatch | undefined;
  readonly informer: ListWatchInformer;

  private constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
  ) {
    this.informer = new ListWatchInformer({ client, resource: Resources.configmaps, namespace, backoffInitialMs: 200, backoffMaxMs: 2000, rng: () => 0.5 });
  }

  /** Creates the namespace and the Deployment, starts the observers, then the writer. */
  static async start(client: ApiClient, namespace: string): Promise<ApiWorkload> {
    const w = new ApiWorkload(client, namespace);
    try {
      await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const cms = await client.list(Resources.configmaps, { namespace });
    const pods = await client.list(Resources.pods, { namespace });
    const rec = w.record;
    w.cmWatch = new ResumingWatch(
      client,
      Resources.configmaps,
      namespace,
      cms.metadata.resourceVersion ?? '0',
      (e) => rec.watchSeen.push({ key: e.object.metadata.name ?? '', rv: rvOf(e.object) }),
      (why) => rec.watchGaps.push(why),
      (items) => {
        for (const o of items) rec.watchRelisted.push({ key: o.metadata.name ?? '', rv: rvOf(o) });
      },
    );
    w.podWatch = new ResumingWatch(
      client,
      Resources.pods,
      namespace,
      pods.metadata.resourceVersion ?? '0',
      (e) => {
        const node = (e.object as { spec?: { nodeName?: string } }).spec?.nodeName;
        if (node) rec.bindings.push({ pod: e.object.metadata.name ?? '', uid: e.object.metadata.uid ?? '', node });
      },
      (why) => rec.podWatchGaps.push(why),
      (items) => {
        for (const o of items) {
          const node = (o as { spec?: { nodeName?: string } }).spec?.nodeName;
          if (node) rec.bindings.push({ pod: o.metadata.name ?? '', uid: o.metadata.uid ?? '', node });
        }
      },
    );
    const seen = (o: KubeObject): void => {
      rec.informerSeen.push({ key: o.metadata.name ?? '', rv: rvOf(o) });
    };
    w.informer.addHandlers({ onAdd: seen, onUpdate: (_old, o) => seen(o), onDelete: seen });
    // Created once the pod watch runs, so that it sees every binding.
    await client.create(Resources.deployments, deployment(namespace));
    w.informer.start();
    await w.informer.waitForSync();
    w.writer = w.write();
    return w;
  }

  private async write(): Promise<void> {
    const rec = this.record;
    let i = 0;
    while (this.running) {
      const name = `cm-${++i}`;
      let created: KubeObject | undefined;
      try {
        created = await this.client.create(Resources.configmaps, configMap(this.namespace, name, '0'));
        this.acked(name, '0', created);
        const updated = await this.client.update(Resources.configmaps, { ...created, data: { v: '1' } } as KubeObject);
        this.acked(name, '1', updated);
      } catch {
        rec.failed++;
        rec.maybe.set(name, [...(rec.maybe.get(name) ?? []), created ? '1' : '0']);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private acked(name: string, v: string, obj: KubeObject): void {
    const rec = this.record;
    rec.ok++;
    rec.acked.set(name, v);
    rec.ackedWrites.push({ key: name, rv: rvOf(obj) });
    rec.writeSuccessTimes.push(performance.now());
  }

  /** Stops writing (the observers go on until `close`). */
  async stopWriting(): Promise<void> {
    this.running = false;
    await this.writer;
  }

  /** The newest acknowledged resourceVersion: the observers are caught up once they saw it. */
  lastAckedRv(): number {
    return Math.max(0, ...this.record.ackedWrites.map((w) => w.rv));
  }

  async close(): Promise<void> {
    this.running = false;
    this.cmWatch?.stop();
    this.podWatch?.stop();
    await this.informer.stop();
  }
}

/**
 * Whether every Deployment and ReplicaSet in `namespace` is at its desired count: a
 * description of the first that is not, or undefined when all are.
 */
export async function desiredCountsShortfall(client: ApiClient, namespace: string): Promise<string | undefined> {
  type Scalable = KubeObject & {
    spec?: { replicas?: number };
    status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
  };
  const deployments = await client.list<Scalable>(Resources.deployments, { namespace });
  const sets = await client.list<Scalable>(Resources.replicasets, { namespace });
  for (const d of deployments.items) {
    const want = d.spec?.replicas ?? 1;
    const s = d.status ?? {};
    if (s.readyReplicas !== want || s.updatedReplicas !== want || s.replicas !== want || (s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      return `deployment ${d.metadata.name}: ${s.readyReplicas ?? 0}/${want} ready, ${s.replicas ?? 0} replicas`;
    }
  }
  for (const rs of sets.items) {
    const want = rs.spec?.replicas ?? 1;
    const s = rs.status ?? {};
    if ((s.readyReplicas ?? 0) !== want || (s.replicas ?? 0) !== want) return `replicaset ${rs.metadata.name}: ${s.readyReplicas ?? 0}/${want} ready`;
  }
  if (deployments.items.length === 0) return 'no deployment';
  return undefined;
}
