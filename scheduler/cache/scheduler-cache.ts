import type { Clock } from '../../kube/clock.js';
import { NodeInfo } from '../framework/node-info.js';
import { newPodInfo, type PodInfo } from '../framework/pod-info.js';
import type { Node, Pod } from '../framework/types.js';

/** How long an assumed pod whose binding succeeded may wait for the informer to confirm it. */
export const DEFAULT_ASSUMED_POD_TTL_MS = 5 * 60_000;

interface PodState {
  podInfo: PodInfo;
  nodeName: string;
  /** Placed by this scheduler and not yet seen bound through the informer. */
  assumed: boolean;
  /** For assumed pods: the bind call succeeded; the pod expires at `deadline` if never confirmed. */
  bindingFinished: boolean;
  deadline: number;
}

/**
 * The scheduler's view of the cluster (kube-scheduler's internal cache): a NodeInfo per node
 * with the pods counted on it. A pod is in one of these states:
 *
 *   (absent) --assumePod--> Assumed --finishBinding--> Assumed+bound --addPod--> Added
 *                              |                            |  (deadline passes) --> expired (absent)
 *                              '--forgetPod--> (absent) <---'
 *   (absent) --addPod--> Added --updatePod--> Added --removePod--> (absent)
 *
 * Assuming counts the pod on its node at once, so the next cycle sees the resources taken while
 * the bind call is in flight and never double-books; `forgetPod` undoes it when the bind fails;
 * the bound pod arriving through the informer confirms it. Pods in phase Succeeded/Failed hold
 * nothing and are not counted. `nodes()` lists the nodes that exist, in the order first seen.
 */
export class SchedulerCache {
  private readonly nodeInfos = new Map<string, NodeInfo>();
  /** NodeInfos with a node object, in the order the nodes were first added. */
  private nodeList: NodeInfo[] = [];
  private readonly podStates = new Map<string, PodState>();

  constructor(
    private readonly clock: Clock,
    private readonly assumedPodTtlMs = DEFAULT_ASSUMED_POD_TTL_MS,
  ) {}

  /** The nodes to schedule onto. A live view: do not keep it across cache changes. */
  nodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodeInfos.get(name);
  }

  nodeCount(): number {
    return this.nodeList.length;
  }

  podCount(): number {
    return this.podStates.size;
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    if (!name) return;
    let info = this.nodeInfos.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.nodeInfos.set(name, info);
    }
    const known = info.node !== undefined;
    info.setNode(node);
    if (!known) this.nodeList.push(info);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  /** The node is gone; its pods stay counted (on a NodeInfo nobody schedules to) until they go too. */
  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const info = this.nodeInfos.get(name);
    if (!info) return;
    info.clearNode();
    this.nodeList = this.nodeList.filter((n) => n !== info);
    if (info.podCount === 0) this.nodeInfos.delete(name);
  }

  /**
   * Count a pod on `nodeName` before it is bound. Returns false (and changes nothing) when the
   * pod is already known to the cache, assumed or bound.
   */
  assumePod(podInfo: PodInfo, nodeName: string): boolean {
    if (this.podStates.has(podInfo.key)) return false;
    this.place(podInfo, nodeName);
    this.podStates.set(podInfo.key, { podInfo, nodeName, assumed: true, bindingFinished: false, deadline: Number.POSITIVE_INFINITY });
    return true;
  }

  /** The bind call for an assumed pod succeeded: start its expiry clock. */
  finishBinding(key: string): void {
    const s = this.podStates.get(key);
    if (!s?.assumed) return;
    s.bindingFinished = true;
    s.deadline = this.clock.now() + this.assumedPodTtlMs;
  }

  /** The bind call failed: stop counting the assumed pod. A pod that is no longer assumed is left alone. */
  forgetPod(key: string): void {
    const s = this.podStates.get(key);
    if (!s?.assumed) return;
    this.unplace(s);
    this.podStates.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }

  /** Where the cache counts the pod, if anywhere. */
  nodeOf(key: string): string | undefined {
    return this.podStates.get(key)?.nodeName;
  }

  /**
   * A bound pod seen through the informer (add or update): confirms an assumed pod (moving it
   * if it was bound elsewhere) or counts it. A terminal pod is removed instead; an unassigned
   * one removes a bound pod of that key but leaves an assumed one (its bind may be in flight).
   */
  addPod(pod: Pod): void {
    this.addPodInfo(newPodInfo(pod));
  }

  /** addPod for a pod already parsed (the scheduler's handlers parse each event once). */
  addPodInfo(info: PodInfo): void {
    if (info.terminal) {
      this.removePodByKey(info.key);
      return;
    }
    if (info.nodeName === '') {
      if (!this.isAssumed(info.key)) this.removePodByKey(info.key);
      return;
    }
    const s = this.podStates.get(info.key);
    if (s) this.unplace(s);
    this.place(info, info.nodeName);
    this.podStates.set(info.key, { podInfo: info, nodeName: info.nodeName, assumed: false, bindingFinished: false, deadline: Number.POSITIVE_INFINITY });
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    this.removePodByKey(newPodInfo(pod).key);
  }

  /** Drop assumed pods whose binding finished more than the TTL ago and that were never confirmed; returns their keys. */
  cleanupExpiredAssumedPods(): string[] {
    const now = this.clock.now();
    const expired: string[] = [];
    for (const [key, s] of this.podStates) {
      if (s.assumed && s.bindingFinished && s.deadline <= now) {
        this.unplace(s);
        this.podStates.delete(key);
        expired.push(key);
      }
    }
    return expired;
  }

  private removePodByKey(key: string): void {
    const s = this.podStates.get(key);
    if (!s) return;
    this.unplace(s);
    this.podStates.delete(key);
  }

  private place(info: PodInfo, nodeName: string): void {
    let node = this.nodeInfos.get(nodeName);
    if (!node) {
      node = new NodeInfo(nodeName);
      this.nodeInfos.set(nodeName, node);
    }
    node.addPod(info);
  }

  private unplace(s: PodState): void {
    const node = this.nodeInfos.get(s.nodeName);
    if (!node) return;
    node.removePod(s.podInfo.key);
    if (node.node === undefined && node.podCount === 0) this.nodeInfos.delete(s.nodeName);
  }
}
