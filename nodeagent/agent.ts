import type { Logger } from 'pino';
import { type ApiClient, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import { Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { AgentMetrics } from './agent-metrics.js';
import type { NodeConfig } from './node-config.js';
import { buildNode, buildNodeLease, existingPodCidr, nodeConditions, nodeLabels, nodeStatus } from './node-object.js';
import { PodIpAllocator } from './pod-network.js';
import { rfc3339Micro } from './time-format.js';

/**
 * One node, as its kubelet keeps it in the API (pkg/kubelet/kubelet_node_status.go and the
 * nodelease controller):
 *
 * - registration: create the Node; when it exists already (an agent restarted), keep its spec
 *   (taints, unschedulable, podCIDR set by users or an earlier run), bring its labels and status
 *   up to date and take its podCIDR;
 * - heartbeat: the Lease `kube-node-lease/<node>` (holder = node, 40 s, owned by the Node) renewed
 *   every `leaseRenewMs` (10 s) with one PUT of the cached lease; a failed renewal drops the cache
 *   and is retried after 200 ms doubling to 7 s (kubelet's retry), re-reading or re-creating it;
 * - node status: the conditions (Ready and the three pressures) patched every `statusReportMs`,
 *   60 s by default (kubelet reports every 5 min unless something changed; with the Lease as the
 *   heartbeat the Node itself needs few writes, which is what lets one process carry thousands of
 *   simulated nodes), and at once when `reportStatusSoon()` is called (the Node shows it not
 *   Ready, e.g. after the node lifecycle controller marked it Unknown).
 *
 * All timers run on the injected Clock. A deleted Node is not re-registered (the kubelet does not
 * either, until it restarts).
 */

export interface NodeAgentOptions {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly config: NodeConfig;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  readonly metrics?: AgentMetrics;
  readonly leaseDurationSeconds?: number;
  readonly leaseRenewMs?: number;
  readonly statusReportMs?: number;
  /** Delay of the first renewal and report, so that many nodes spread their writes over the interval. */
  readonly firstBeatDelayMs?: number;
}

const RETRY_INITIAL_MS = 200;
const RETRY_MAX_MS = 7000;

export class NodeAgent {
  readonly name: string;
  private config: NodeConfig;
  private ipAllocator: PodIpAllocator;
  private nodeUid = '';
  private lease: KubeObject | undefined;
  private lastConditions: unknown;
  private cancelLease: (() => void) | undefined;
  private cancelStatus: (() => void) | undefined;
  private leaseRetryMs = RETRY_INITIAL_MS;
  private running = false;
  private reporting = false;

  constructor(private readonly options: NodeAgentOptions) {
    this.name = options.config.name;
    this.config = options.config;
    this.ipAllocator = PodIpAllocator.forCidr(options.config.podCIDR);
  }

  get hostIP(): string {
    return this.config.hostIP;
  }

  /** Pod addresses of this node (its podCIDR, known after `register`). */
  get ips(): PodIpAllocator {
    return this.ipAllocator;
  }

  get uid(): string {
    return this.nodeUid;
  }

  /** Create the Node, or bring an existing one up to date. Throws when the apiserver refuses. */
  async register(): Promise<void> {
    const { client, clock } = this.options;
    try {
      const created = await client.create(Resources.nodes, buildNode(this.config, clock.now()));
      this.adopt(created);
      this.options.logger.info({ node: this.name, podCIDR: this.config.podCIDR }, 'node registered');
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await client.get(Resources.nodes, this.name);
    const cidr = existingPodCidr(existing);
    const patch: Record<string, unknown> = { metadata: { labels: nodeLabels(this.config) } };
    if (cidr === undefined) patch.spec = { podCIDR: this.config.podCIDR, podCIDRs: [this.config.podCIDR] };
    else this.config = { ...this.config, podCIDR: cidr };
    await client.patch(Resources.nodes, this.name, patch);
    const status = nodeStatus(this.config, clock.now(), isPlainObject(existing.status) ? existing.status.conditions : undefined);
    const updated = await client.patch(Resources.nodes, this.name, { status }, { subresource: 'status' });
    this.adopt(updated);
    this.options.logger.info({ node: this.name, podCIDR: this.config.podCIDR }, 'node existed: labels and status brought up to date');
  }

  /** Start the lease renewals and status reports. */
  startHeartbeat(): void {
    if (this.running) return;
    this.running = true;
    const first = this.options.firstBeatDelayMs ?? 0;
    this.scheduleLease(first);
    this.scheduleStatus(first + (this.options.statusReportMs ?? 60_000));
  }

  stopHeartbeat(): void {
    this.running = false;
    this.cancelLease?.();
    this.cancelStatus?.();
    this.cancelLease = undefined;
    this.cancelStatus = undefined;
  }

  /** One renewal of the node's Lease (creating it when missing). Resolves false on failure. */
  async renewLease(): Promise<boolean> {
    const { client, clock } = this.options;
    const renewTime = rfc3339Micro(clock.now());
    try {
      if (this.lease) {
        const spec = isPlainObject(this.lease.spec) ? this.lease.spec : {};
        this.lease = await client.update(Resources.leases, { ...this.lease, spec: { ...spec, holderIdentity: this.name, renewTime } });
      } else {
        this.lease = await this.ensureLease(renewTime);
      }
      this.options.metrics?.leaseRenewals.inc({ result: 'success' });
      return true;
    } catch (err) {
      this.lease = undefined;
      this.options.metrics?.leaseRenewals.inc({ result: 'failure' });
      this.options.logger.warn({ node: this.name, err: (err as Error).message }, 'lease renewal failed');
      return false;
    }
  }

  /** Patch the node's conditions with a fresh heartbeat time. Resolves false on failure. */
  async reportStatus(): Promise<boolean> {
    const { client, clock } = this.options;
    try {
      const conditions = nodeConditions(clock.now(), this.lastConditions);
      const updated = await client.patch(Resources.nodes, this.name, { status: { conditions } }, { subresource: 'status' });
      this.lastConditions = isPlainObject(updated.status) ? updated.status.conditions : conditions;
      this.options.metrics?.nodeStatusReports.inc({ result: 'success' });
      return true;
    } catch (err) {
      this.options.metrics?.nodeStatusReports.inc({ result: 'failure' });
      this.options.logger.warn(
        { node: this.name, err: (err as Error).message },
        isNotFound(err) ? 'the Node is gone; not re-registering' : 'node status report failed',
      );
      return false;
    }
  }

  /**
   * Look at the Node as the API shows it (from a nodes informer): when its Ready condition is not
   * ours (True), report at once rather than at the next period.
   */
  observeNode(node: KubeObject): void {
    if (!this.running || this.reporting) return;
    const conditions = isPlainObject(node.status) && Array.isArray(node.status.conditions) ? node.status.conditions.filter(isPlainObject) : [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return;
    this.lastConditions = conditions;
    this.reporting = true;
    void this.reportStatus().finally(() => {
      this.reporting = false;
    });
  }

  private adopt(node: KubeObject): void {
    this.nodeUid = node.metadata.uid ?? '';
    const cidr = existingPodCidr(node);
    if (cidr !== undefined && cidr !== this.ipAllocator.cidr) {
      this.config = { ...this.config, podCIDR: cidr };
      this.ipAllocator = PodIpAllocator.forCidr(cidr);
    }
    this.lastConditions = isPlainObject(node.status) ? node.status.conditions : undefined;
    this.options.metrics?.nodes.inc();
  }

  private async ensureLease(renewTime: string): Promise<KubeObject> {
    const { client } = this.options;
    const duration = this.options.leaseDurationSeconds ?? 40;
    const fresh = buildNodeLease(this.name, this.nodeUid, duration, renewTime);
    try {
      const current = await client.get(Resources.leases, this.name, 'kube-node-lease');
      const spec = isPlainObject(current.spec) ? current.spec : {};
      return await client.update(Resources.leases, {
        ...current,
        metadata: { ...current.metadata, ownerReferences: fresh.metadata.ownerReferences ?? [] },
        spec: { ...spec, holderIdentity: this.name, leaseDurationSeconds: duration, renewTime },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // A create that loses a race (AlreadyExists) fails this renewal; the retry reads and updates it.
    return await client.create(Resources.leases, fresh);
  }

  private scheduleLease(delayMs: number): void {
    if (!this.running) return;
    this.cancelLease = this.options.clock.setTimeout(() => {
      void this.renewLease().then((ok) => {
        const renewMs = this.options.leaseRenewMs ?? 10_000;
        if (ok) {
          this.leaseRetryMs = RETRY_INITIAL_MS;
          this.scheduleLease(renewMs);
        } else {
          const wait = Math.min(this.leaseRetryMs, renewMs);
          this.leaseRetryMs = Math.min(this.leaseRetryMs * 2, RETRY_MAX_MS);
          this.scheduleLease(wait);
        }
      });
    }, delayMs);
  }

  private scheduleStatus(delayMs: number): void {
    if (!this.running) return;
    this.cancelStatus = this.options.clock.setTimeout(() => {
      void this.reportStatus().then(() => this.scheduleStatus(this.options.statusReportMs ?? 60_000));
    }, delayMs);
  }
}
