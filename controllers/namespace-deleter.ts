import { type ApiClient, ApiStatusError, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { KubeObject } from '../kube/object.js';
import { Resources, type ResourceRef } from '../kube/client/resource.js';

/**
 * One pass of a namespace's content deletion (kube's pkg/controller/namespace/deletion
 * NamespacedResourcesDeleter, without discovery): for every namespaced kind, list what is left
 * in the namespace and delete each object not already going (propagation Background, so that
 * owners do not wait for dependents). Kinds the apiserver does not serve answer 404 and are
 * skipped, so the list may name more kinds than a given apiserver has.
 */

function ref(group: string, version: string, resource: string, kind: string): ResourceRef {
  return { group, version, resource, kind, namespaced: true };
}

/**
 * The namespaced kinds to empty, workload owners first (so their controllers do not recreate
 * what was just deleted, though a terminating namespace refuses new objects anyway), then pods,
 * then the rest. Kinds beyond the client's Resources table are the ones kube serves that
 * picokube may serve too.
 */
export const NAMESPACED_KINDS: readonly ResourceRef[] = (() => {
  const first = [
    Resources.deployments,
    Resources.statefulsets,
    Resources.daemonsets,
    ref('batch', 'v1', 'cronjobs', 'CronJob'),
    Resources.jobs,
    Resources.replicasets,
    Resources.replicationcontrollers,
    Resources.pods,
  ];
  const extra = [
    ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
    ref('', 'v1', 'podtemplates', 'PodTemplate'),
    ref('', 'v1', 'resourcequotas', 'ResourceQuota'),
    ref('', 'v1', 'limitranges', 'LimitRange'),
    ref('networking.k8s.io', 'v1', 'ingresses', 'Ingress'),
    ref('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy'),
    ref('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
    ref('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
    ref('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
    ref('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  ];
  const id = (r: ResourceRef): string => `${r.group}/${r.resource}`;
  const seen = new Set(first.map(id));
  const rest = [...Object.values(Resources), ...extra].filter((r) => r.namespaced && !seen.has(id(r)));
  return [...first, ...rest];
})();

export interface ContentDeletion {
  /** Objects still in the namespace after this pass, by `resource.group` (kube's "has N resource instances"). */
  readonly remaining: ReadonlyMap<string, number>;
  /** Calls that failed for another reason than the object being gone, by kind. */
  readonly failures: readonly string[];
}

const resourceName = (r: ResourceRef): string => (r.group ? `${r.resource}.${r.group}` : r.resource);

/** Deletes what is left in `namespace`; never throws for one kind's failure, it reports it. */
export async function deleteNamespaceContent(client: ApiClient, namespace: string, kinds: readonly ResourceRef[] = NAMESPACED_KINDS): Promise<ContentDeletion> {
  const remaining = new Map<string, number>();
  const failures: string[] = [];
  for (const kind of kinds) {
    let items: KubeObject[];
    try {
      ({ items } = await client.list(kind, { namespace }));
    } catch (e) {
      // Not served here (404), or a kind that cannot be listed (405): nothing of it to delete.
      if (isNotFound(e) || (e instanceof ApiStatusError && e.code === 405)) continue;
      failures.push(`${resourceName(kind)}: ${(e as Error).message}`);
      continue;
    }
    let left = 0;
    for (const obj of items) {
      if (obj.metadata.deletionTimestamp !== undefined) {
        left++;
        continue;
      }
      try {
        const answer = await client.delete(kind, obj.metadata.name ?? '', { namespace, propagationPolicy: 'Background' });
        // A marked object (graceful pod, finalizers) is still there; a Status or the gone object is not.
        if (answer.kind !== 'Status' && answer.metadata?.deletionTimestamp !== undefined) left++;
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) continue;
        failures.push(`${resourceName(kind)} "${obj.metadata.name ?? ''}": ${(e as Error).message}`);
        left++;
      }
    }
    if (left > 0) remaining.set(resourceName(kind), left);
  }
  return { remaining, failures };
}
