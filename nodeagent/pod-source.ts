import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { objectKey } from '../kube/client/resource.js';
import { escapeFieldValue } from '../kube/fields/field-selector.js';
import type { KubeObject } from '../kube/object.js';
import { podSpecOf } from './pod-view.js';

/**
 * The pods bound to the nodes one agent process hosts, from ONE pod informer whatever the number
 * of nodes. A lone node watches only its own pods (`spec.nodeName=<node>`, as the kubelet does);
 * a process hosting many nodes watches every bound pod (`spec.nodeName!=`) and dispatches by
 * `spec.nodeName` in memory, which is far cheaper than a watch per node. Handlers only hand keys
 * on (level-triggered): the syncer reads the cache when it gets to them.
 */

/** The field selector for the pod informer of a process hosting `nodeNames`. */
export function podFieldSelector(nodeNames: readonly string[]): string {
  const [only] = nodeNames;
  return nodeNames.length === 1 && only !== undefined ? `spec.nodeName=${escapeFieldValue(only)}` : 'spec.nodeName!=';
}

export class PodSource {
  constructor(
    private readonly informer: Informer<KubeObject>,
    private readonly isOurs: (nodeName: string) => boolean,
  ) {}

  /** Calls `onKey(namespace/name)` for every add, change and delete of a pod on one of our nodes. */
  onPodKey(onKey: (key: string) => void): void {
    const ours = (pod: KubeObject): boolean => this.isOurs(podSpecOf(pod).nodeName);
    this.informer.addHandlers({
      onAdd: (pod) => {
        if (ours(pod)) onKey(objectKey(pod));
      },
      onUpdate: (oldPod, newPod) => {
        if (ours(newPod) || ours(oldPod)) onKey(objectKey(newPod));
      },
      onDelete: (pod) => {
        if (ours(pod)) onKey(objectKey(pod));
      },
    });
  }

  /** The cached pod under `key` when it is bound to one of our nodes (shared: never mutate). */
  get(key: string): KubeObject | undefined {
    const pod = this.informer.lister.get(key);
    return pod && this.isOurs(podSpecOf(pod).nodeName) ? pod : undefined;
  }

  /** The cached pods bound to one node. */
  podsOn(nodeName: string): KubeObject[] {
    return this.informer.lister.byIndex(IndexNames.nodeName, nodeName);
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }
}
