import { isPlainObject } from '../../kube/object.js';
import type { PodInfo } from './pod-info.js';
import { parseAllocatable } from './resources.js';
import { type Node, type Taint, ZONE_LABEL } from './types.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One node and the pods the scheduler counts on it (kube-scheduler's framework.NodeInfo):
 * bound pods seen through the informer and pods assumed onto it while their binding is in
 * flight. Invariant: the `requested*` and `nonZero*` fields, `podCount` and `spreadCounts` are
 * always the sums over `pods`, kept in step by addPod/removePod. `node` is undefined while pods
 * are known on a node the cache has not seen (or no longer sees); such a NodeInfo is never
 * offered for scheduling.
 *
 * The numbers filters and scores read for every node of every cycle are plain fields of this
 * one object (not nested vectors, not Map.size): a cycle touches hundreds of NodeInfos, and each
 * extra object per node is another cache miss.
 */
export class NodeInfo {
  readonly name: string;
  node: Node | undefined;
  /** `status.allocatable` (CPU in millicores, memory and storage in bytes, pods as a count). */
  allocatableMilliCpu = 0;
  allocatableMemory = 0;
  allocatableEphemeralStorage = 0;
  allocatablePods = 0;
  allocatableScalars: ReadonlyMap<string, number> | undefined;
  /** The sums of the pods' requests. */
  requestedMilliCpu = 0;
  requestedMemory = 0;
  requestedEphemeralStorage = 0;
  requestedScalars: Map<string, number> | undefined;
  /** The sums of the pods' non-zero CPU/memory (for scoring). */
  nonZeroMilliCpu = 0;
  nonZeroMemory = 0;
  /** How many pods are counted here (`pods.size`, kept as a field for the hot path). */
  podCount = 0;
  labels: Readonly<Record<string, string>> = NO_LABELS;
  /** The `topology.kubernetes.io/zone` label, if any. */
  zone: string | undefined;
  /** Well-formed taints of the node (key and effect present). */
  taints: readonly Taint[] = [];
  /** `spec.unschedulable` (cordoned). */
  unschedulable = false;
  /** The status of the node's Ready condition, undefined when it reports none. */
  readyStatus: string | undefined;
  readonly pods = new Map<string, PodInfo>();
  /** Pods per spread key (see PodInfo.spreadKey). */
  readonly spreadCounts = new Map<string, number>();
  /** Bumped on every change, for tests and debugging. */
  generation = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Take a new version of the node object (its pods stay). */
  setNode(node: Node): void {
    this.node = node;
    const status = isPlainObject(node.status) ? node.status : {};
    const spec = isPlainObject(node.spec) ? node.spec : {};
    const list = isPlainObject(status.allocatable) ? status.allocatable : isPlainObject(status.capacity) ? status.capacity : undefined;
    const a = parseAllocatable(list);
    this.allocatableMilliCpu = a.milliCpu;
    this.allocatableMemory = a.memory;
    this.allocatableEphemeralStorage = a.ephemeralStorage;
    this.allocatablePods = a.pods;
    this.allocatableScalars = a.scalars;
    this.labels = parseLabels(node.metadata.labels);
    this.zone = Object.hasOwn(this.labels, ZONE_LABEL) ? this.labels[ZONE_LABEL] : undefined;
    this.taints = parseTaints(spec.taints);
    this.unschedulable = spec.unschedulable === true;
    this.readyStatus = readyStatusOf(status.conditions);
    this.generation++;
  }

  clearNode(): void {
    this.node = undefined;
    this.generation++;
  }

  /** Count a pod on this node. Adding a key already present replaces that pod. */
  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.podCount = this.pods.size;
    this.requestedMilliCpu += p.requests.milliCpu;
    this.requestedMemory += p.requests.memory;
    this.requestedEphemeralStorage += p.requests.ephemeralStorage;
    if (p.requests.scalars) {
      this.requestedScalars ??= new Map();
      for (const [k, q] of p.requests.scalars) this.requestedScalars.set(k, (this.requestedScalars.get(k) ?? 0) + q);
    }
    this.nonZeroMilliCpu += p.nonZeroMilliCpu;
    this.nonZeroMemory += p.nonZeroMemory;
    if (p.spreadKey !== undefined) this.spreadCounts.set(p.spreadKey, (this.spreadCounts.get(p.spreadKey) ?? 0) + 1);
    this.generation++;
  }

  /** Stop counting a pod; returns it, or undefined when it was not here. */
  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.podCount = this.pods.size;
    this.requestedMilliCpu -= p.requests.milliCpu;
    this.requestedMemory -= p.requests.memory;
    this.requestedEphemeralStorage -= p.requests.ephemeralStorage;
    if (p.requests.scalars && this.requestedScalars) {
      for (const [k, q] of p.requests.scalars) this.requestedScalars.set(k, (this.requestedScalars.get(k) ?? 0) - q);
    }
    this.nonZeroMilliCpu -= p.nonZeroMilliCpu;
    this.nonZeroMemory -= p.nonZeroMemory;
    if (p.spreadKey !== undefined) {
      const n = (this.spreadCounts.get(p.spreadKey) ?? 1) - 1;
      if (n > 0) this.spreadCounts.set(p.spreadKey, n);
      else this.spreadCounts.delete(p.spreadKey);
    }
    this.generation++;
    return p;
  }

  /** A copy of this node without the pods `drop` selects: what-if checks (preemption diagnosis). */
  without(drop: (p: PodInfo) => boolean): NodeInfo {
    const copy = new NodeInfo(this.name);
    if (this.node) copy.setNode(this.node);
    for (const p of this.pods.values()) if (!drop(p)) copy.addPod(p);
    return copy;
  }
}

/** A node object's labels, with non-string values dropped. */
export function parseLabels(v: unknown): Readonly<Record<string, string>> {
  if (!isPlainObject(v)) return NO_LABELS;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function parseTaints(v: unknown): Taint[] {
  if (!Array.isArray(v)) return [];
  const out: Taint[] = [];
  for (const t of v) {
    if (!isPlainObject(t) || typeof t.key !== 'string' || typeof t.effect !== 'string') continue;
    out.push({ key: t.key, value: typeof t.value === 'string' ? t.value : '', effect: t.effect });
  }
  return out;
}

function readyStatusOf(conditions: unknown): string | undefined {
  if (!Array.isArray(conditions)) return undefined;
  for (const c of conditions) {
    if (isPlainObject(c) && c.type === 'Ready' && typeof c.status === 'string') return c.status;
  }
  return undefined;
}
