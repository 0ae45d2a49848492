import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import type { ApiClient } from '../kube/client/api-client.js';
import type { Clock } from '../kube/clock.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import { RateLimitingQueue } from '../kube/workqueue/work-queue.js';
import { NodeAgent } from './agent.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { NodeConfig } from './node-config.js';
import { PodSource } from './pod-source.js';
import { PodSyncer } from './pod-sync.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';

/**
 * One node agent process: N nodes (one, or thousands of simulated ones with `--count`) sharing one
 * runtime, one pod informer (pod-source.ts), one work queue of pod keys with a few workers
 * (pod-sync.ts), and one log server (set up by main.ts). Each node has its own registration,
 * Lease and status reports (agent.ts), spread over the renewal interval so that a thousand
 * nodes renew evenly instead of all at once.
 */

export interface AgentHostOptions {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly nodes: readonly NodeConfig[];
  readonly runtime: ContainerRuntime;
  /** Pods bound to our nodes (see `podFieldSelector`). */
  readonly podInformer: Informer<KubeObject>;
  /** Our Nodes as the API shows them, to answer a node marked not Ready at once (optional). */
  readonly nodeInformer?: Informer<KubeObject>;
  readonly logger: Logger;
  readonly metrics?: AgentMetrics;
  readonly queue?: WorkQueue<string>;
  /** Concurrent pod syncs (default 16). */
  readonly workers?: number;
  readonly leaseRenewMs?: number;
  readonly leaseDurationSeconds?: number;
  readonly statusReportMs?: number;
  /** Registrations in flight at once (default 32). */
  readonly registerConcurrency?: number;
}

const REGISTER_RETRY_INITIAL_MS = 100;
const REGISTER_RETRY_MAX_MS = 7000;

export class AgentHost {
  readonly agents = new Map<string, NodeAgent>();
  private readonly queue: WorkQueue<string>;
  private readonly syncer: PodSyncer;
  private readonly source: PodSource;
  private registered = false;
  private stopped = false;
  private readonly workerLoops: Promise<void>[] = [];

  constructor(private readonly options: AgentHostOptions) {
    const { client, clock, logger, metrics } = options;
    const n = options.nodes.length;
    const renewMs = options.leaseRenewMs ?? 10_000;
    options.nodes.forEach((config, i) => {
      if (this.agents.has(config.name)) throw new Error(`node ${config.name} is given twice`);
      this.agents.set(
        config.name,
        new NodeAgent({
          client,
          clock,
          config,
          logger,
          ...(metrics ? { metrics } : {}),
          ...(options.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
          leaseRenewMs: renewMs,
          ...(options.statusReportMs !== undefined ? { statusReportMs: options.statusReportMs } : {}),
          firstBeatDelayMs: n <= 1 ? 0 : Math.floor((i * renewMs) / n),
        }),
      );
    });
    this.queue = options.queue ?? new RateLimitingQueue<string>({ clock, name: 'nodeagent_pods' });
    this.source = new PodSource(options.podInformer, (nodeName) => this.agents.has(nodeName));
    this.syncer = new PodSyncer({
      client,
      clock,
      runtime: options.runtime,
      source: this.source,
      nodeAgent: (nodeName) => this.agents.get(nodeName),
      requeue: (key, afterMs) => (afterMs ? this.queue.addAfter(key, afterMs) : this.queue.add(key)),
      logger,
      ...(metrics ? { metrics } : {}),
    });
  }

  /**
   * Register every node (retrying until the apiserver accepts), then start watching pods,
   * heartbeats and the pod workers. Resolves once the nodes are registered; `ready()` turns true
   * when the pod cache has synced too.
   */
  async start(): Promise<void> {
    await this.registerAll();
    if (this.stopped) return;
    this.registered = true;
    this.source.onPodKey((key) => this.queue.add(key));
    this.options.runtime.onChange((p) => this.queue.add(`${p.namespace}/${p.name}`));
    this.options.nodeInformer?.addHandlers({
      onAdd: (node) => this.agents.get(node.metadata.name ?? '')?.observeNode(node),
      onUpdate: (_old, node) => this.agents.get(node.metadata.name ?? '')?.observeNode(node),
    });
    this.options.podInformer.start();
    this.options.nodeInformer?.start();
    for (const agent of this.agents.values()) agent.startHeartbeat();
    for (let i = 0; i < (this.options.workers ?? 16); i++) this.workerLoops.push(this.work());
    this.options.logger.info({ nodes: this.agents.size, runtime: this.options.runtime.name }, 'node agent started');
  }

  ready(): boolean {
    return this.registered && this.options.podInformer.hasSynced();
  }

  /** Sync one pod now (tests drive the agent this way; the workers call the same). */
  syncPod(key: string): Promise<void> {
    return this.syncer.sync(key);
  }

  /**
   * Stop: heartbeats, the pod workers, the informers, then every container within `graceMs`.
   * The Nodes and their pods stay in the API, as they do when a kubelet stops.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const agent of this.agents.values()) agent.stopHeartbeat();
    this.queue.shutDown();
    await Promise.all([this.options.podInformer.stop(), this.options.nodeInformer?.stop()]);
    await this.options.runtime.shutdown(graceMs);
    await Promise.all(this.workerLoops);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.syncer.sync(key);
        this.queue.forget(key);
      } catch (err) {
        this.options.metrics?.syncErrors.inc();
        this.options.logger.warn({ pod: key, err: (err as Error).message }, 'pod sync failed; retrying');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async registerAll(): Promise<void> {
    const pending = [...this.agents.values()];
    const lanes = Math.max(1, Math.min(this.options.registerConcurrency ?? 32, pending.length));
    const lane = async (): Promise<void> => {
      for (let agent = pending.shift(); agent && !this.stopped; agent = pending.shift()) await this.registerOne(agent);
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  private async registerOne(agent: NodeAgent): Promise<void> {
    let waitMs = REGISTER_RETRY_INITIAL_MS;
    while (!this.stopped) {
      try {
        await agent.register();
        return;
      } catch (err) {
        this.options.logger.warn({ node: agent.name, err: (err as Error).message, retryInMs: waitMs }, 'node registration failed; retrying');
        await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, waitMs));
        waitMs = Math.min(waitMs * 2, REGISTER_RETRY_MAX_MS);
      }
    }
  }
}
