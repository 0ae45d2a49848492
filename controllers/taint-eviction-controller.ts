import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { type Taint, taintsOf, tolerationsOf } from '../kube/taints.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { evictionDueMs } from './node-taints.js';

/**
 * The taint eviction controller (kube's pkg/controller/tainteviction, once the node lifecycle
 * controller's NoExecuteTaintManager): a pod on a node with a NoExecute taint it does not
 * tolerate is deleted at once; one that tolerates it for `tolerationSeconds` is deleted that long
 * after the taint's `timeAdded`; one that tolerates it without a limit stays. Keys are pods;
 * a node whose taints change requeues its pods. The deletion is an ordinary DELETE (graceful: the
 * node agent, if it ever comes back, finishes the pod), so a ReplicaSet replaces the pod at once.
 */

const nodeNameOf = (pod: KubeObject): string | undefined => {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  return typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : undefined;
};

const noExecuteTaints = (node: KubeObject | undefined): Taint[] => (node ? taintsOf(node).filter((t) => t.effect === 'NoExecute') : []);

const taintsKey = (taints: readonly Taint[]): string =>
  taints
    .map((t) => `${t.key}=${t.value ?? ''}@${t.timeAdded ?? ''}`)
    .sort()
    .join(',');

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  readonly workers = 4;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  /** When this controller first saw a NoExecute taint without `timeAdded`, per node and taint: its countdown start. */
  private readonly firstSeen = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.logger = ctx.logger.child({ controller: this.name });
    this.recorder = ctx.recorder;
    this.queue = ctx.newQueue(this.name);
    this.pods = ctx.informers.informerFor(Resources.pods);
    this.nodes = ctx.informers.informerFor(Resources.nodes);
    const enqueuePod = (pod: KubeObject): void => {
      const node = nodeNameOf(pod);
      if (node !== undefined && pod.metadata.deletionTimestamp === undefined && noExecuteTaints(this.nodes.lister.get(node)).length > 0) {
        this.queue.add(objectKey(pod));
      }
    };
    this.pods.addHandlers({ onAdd: enqueuePod, onUpdate: (_, pod) => enqueuePod(pod) });
    const nodeChanged = (old: KubeObject | undefined, node: KubeObject): void => {
      const taints = noExecuteTaints(node);
      if (taints.length === 0 || (old && taintsKey(noExecuteTaints(old)) === taintsKey(taints))) return;
      const name = node.metadata.name ?? '';
      for (const pod of this.pods.lister.list()) if (nodeNameOf(pod) === name && pod.metadata.deletionTimestamp === undefined) this.queue.add(objectKey(pod));
    };
    this.nodes.addHandlers({
      onAdd: (node) => nodeChanged(undefined, node),
      onUpdate: nodeChanged,
      onDelete: (node) => {
        for (const k of this.firstSeen.keys()) if (k.startsWith(`${node.metadata.name ?? ''}/`)) this.firstSeen.delete(k);
      },
    });
  }

  async sync(key: string): Promise<void> {
    const pod = this.pods.lister.get(key);
    if (!pod || pod.metadata.deletionTimestamp !== undefined) return;
    const nodeName = nodeNameOf(pod);
    if (nodeName === undefined) return;
    const taints = noExecuteTaints(this.nodes.lister.get(nodeName));
    if (taints.length === 0) return;
    const now = this.clock.now();
    const due = evictionDueMs(tolerationsOf(pod), taints, (t) => this.countdownStart(nodeName, t, now));
    if (due === undefined) return;
    if (due > now) {
      this.queue.addAfter(key, due - now);
      return;
    }
    const { namespace, name } = splitKey(key);
    try {
      await this.client.delete(Resources.pods, name, { ...(namespace ? { namespace } : {}), preconditions: { uid: pod.metadata.uid ?? '' } });
    } catch (e) {
      // Gone already, or a new pod of the same name: nothing of ours to delete.
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
    this.logger.info({ pod: key, node: nodeName, taints: taints.map((t) => t.key) }, 'evicted a pod from a NoExecute-tainted node');
    this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
  }

  private countdownStart(node: string, taint: Taint, now: number): number {
    const added = taint.timeAdded === undefined ? Number.NaN : Date.parse(taint.timeAdded);
    if (Number.isFinite(added)) return added;
    const k = `${node}/${taint.key}=${taint.value ?? ''}`;
    const seen = this.firstSeen.get(k);
    if (seen !== undefined) return seen;
    this.firstSeen.set(k, now);
    return now;
  }
}

export const taintEvictionControllerFactory: ControllerFactory = (ctx) => new TaintEvictionController(ctx);
