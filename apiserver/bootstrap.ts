import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../kube/object.js';
import type { ApiContext } from './handlers/context.js';
import { DEFAULT_STORAGE_CLASS_NAME, LOCAL_PATH_PROVISIONER } from './registry/kinds/storage.js';
import type { ResourceDef } from './registry/types.js';
import { ApiError } from './status.js';
import { prepareCreate } from './strategy/object-lifecycle.js';
import { rfc3339 } from './time.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, withAggregatedRules } from './authz/bootstrap-policy.js';

/** The namespaces every cluster has from the start (kube-apiserver's bootstrap controller makes them). */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Creates the system namespaces that do not exist yet. */
export async function ensureSystemNamespaces(ctx: ApiContext): Promise<void> {
  const def = ctx.registry.byKind('', 'Namespace');
  if (!def) return;
  for (const name of SYSTEM_NAMESPACES) {
    await createIfAbsent(ctx, def, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

/** The first address of kubeadm's and kind's service range (10.96.0.0/12), which the `kubernetes` Service takes (the first of whatever range is configured). */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

/**
 * The `default/kubernetes` Service every cluster has (kube-apiserver's kubernetesservice
 * controller makes it), so `kubectl get svc` and `get all` on a fresh cluster print what a real
 * one does. Its targetPort is kube-apiserver's default secure port; no Endpoints are published.
 */
export async function ensureKubernetesService(ctx: ApiContext, clusterIP = KUBERNETES_SERVICE_IP): Promise<void> {
  const def = ctx.registry.byKind('', 'Service');
  if (!def) return;
  await createIfAbsent(ctx, def, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
    },
  });
}

/**
 * The default StorageClass `standard` (kind's and k3s's clusters come with one): claims without a
 * class get it (registry/kinds/storage.ts), and the controller-manager's local-path provisioner
 * makes their volumes. Immediate binding: picokube's binder provisions as soon as a claim appears.
 */
export async function ensureDefaultStorageClass(ctx: ApiContext): Promise<void> {
  const def = ctx.registry.byKind('storage.k8s.io', 'StorageClass');
  if (!def) return;
  await createIfAbsent(ctx, def, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS_NAME, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
}

/**
 * kube's default RBAC roles and bindings (authz/bootstrap-policy.ts), each created if absent.
 * Aggregated roles (admin, edit, view) start with their aggregated rules, so that they work
 * before the clusterrole-aggregation controller first runs.
 */
export async function ensureBootstrapPolicy(ctx: ApiContext): Promise<void> {
  const roleDef = ctx.registry.byKind('rbac.authorization.k8s.io', 'ClusterRole');
  const bindingDef = ctx.registry.byKind('rbac.authorization.k8s.io', 'ClusterRoleBinding');
  if (!roleDef || !bindingDef) return;
  for (const role of withAggregatedRules(bootstrapClusterRoles())) await createIfAbsent(ctx, roleDef, undefined, role);
  for (const binding of bootstrapClusterRoleBindings()) await createIfAbsent(ctx, bindingDef, undefined, binding);
}

/** Several apiservers may race to create the same object: the create txn lets one win and the others see AlreadyExists, which is fine. */
async function createIfAbsent(ctx: ApiContext, def: ResourceDef, namespace: string | undefined, body: KubeObject): Promise<void> {
  if (await ctx.objects.find(def, namespace, body.metadata.name ?? '')) return;
  const obj = prepareCreate(def, body, { namespace, uid: randomUUID(), now: rfc3339(ctx.nowMs()), nameSuffix: '' });
  try {
    await ctx.objects.create(def, obj);
  } catch (err) {
    if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
  }
}
