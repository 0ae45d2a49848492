import { type ApiClient, ApiStatusError, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { Resources } from '../kube/client/resource.js';
import type { KubeObject, OwnerReference } from '../kube/object.js';
import type { Pod, PodTemplateSpec } from './workload-types.js';

/** Creates the first slow-start batch with this many pods (kube's SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** Event reasons as kube's controller_utils.go records them. */
export const PodControlReasons = {
  SuccessfulCreate: 'SuccessfulCreate',
  FailedCreate: 'FailedCreate',
  SuccessfulDelete: 'SuccessfulDelete',
  FailedDelete: 'FailedDelete',
} as const;

/**
 * The pod a controller creates from its template (kube's GetPodFromTemplate): the template's
 * labels, annotations, finalizers and spec; `generateName: <owner>-` so the apiserver picks a
 * unique 5-character suffix; and the controller's ownerReference.
 */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference | undefined): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: podNamePrefix(owner.metadata.name ?? ''),
      ...(owner.metadata.namespace ? { namespace: owner.metadata.namespace } : {}),
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ...(controllerRef ? { ownerReferences: [{ ...controllerRef }] } : {}),
    },
    spec: structuredClone(template.spec ?? {}),
  };
  return pod;
}

/**
 * `<name>-`, unless that is not a valid pod name prefix (too long: the apiserver then truncates
 * the generated name itself), in which case kube falls back to the bare name.
 */
function podNamePrefix(ownerName: string): string {
  const prefix = `${ownerName}-`;
  return prefix.length <= 253 - 5 ? prefix : ownerName;
}

/** True when the apiserver refused a create because the namespace is being deleted. */
export function isNamespaceTerminating(err: unknown): boolean {
  if (!(err instanceof ApiStatusError)) return false;
  if (err.status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return err.code === 403 && /because it is being terminated/.test(err.message);
}

/**
 * Pod writes on behalf of a controller, with the events kube records for them (kube's
 * RealPodControl). The twin for tests is the RecordingApiClient under it.
 */
export class PodControl {
  constructor(
    private readonly client: ApiClient,
    private readonly recorder: EventRecorder,
  ) {}

  /** Creates one pod from the template; records SuccessfulCreate or FailedCreate on `owner`. */
  async createPod(template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference | undefined, extra?: (pod: Pod) => void): Promise<Pod> {
    const pod = podFromTemplate(template, owner, controllerRef);
    extra?.(pod);
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    try {
      const created = await this.client.create<Pod>(Resources.pods, pod);
      this.recorder.event(owner, 'Normal', PodControlReasons.SuccessfulCreate, `Created pod: ${created.metadata.name ?? ''}`);
      return created;
    } catch (err) {
      if (!isNamespaceTerminating(err)) this.recorder.event(owner, 'Warning', PodControlReasons.FailedCreate, `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Deletes a pod; records SuccessfulDelete or FailedDelete on `owner`. A pod already gone
   * rethrows the 404 without an event, so callers can lower their expectations and move on.
   */
  async deletePod(namespace: string | undefined, name: string, owner: KubeObject): Promise<void> {
    try {
      await this.client.delete(Resources.pods, name, namespace ? { namespace } : {});
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.recorder.event(owner, 'Warning', PodControlReasons.FailedDelete, `Error deleting: ${(err as Error).message}`);
      throw new Error(`unable to delete pods: ${(err as Error).message}`, { cause: err });
    }
    this.recorder.event(owner, 'Normal', PodControlReasons.SuccessfulDelete, `Deleted pod: ${name}`);
  }
}

/**
 * Runs `fn` `count` times in batches of 1, 2, 4, … (kube's slowStartBatch), the calls of a batch
 * concurrently; stops after the first batch in which any call failed. Why: a controller whose
 * creates all fail (quota, admission) makes one failing call, not hundreds.
 * Resolves with how many calls succeeded and the first error, if any.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<unknown>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed[0]) return { successes, error: failed[0].reason };
    remaining -= batch;
  }
  return { successes };
}
