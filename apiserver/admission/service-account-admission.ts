import type { KubeObject } from '../../kube/object.js';
import { forbidden } from '../status.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
/** Mirror pods (a node's static pods) are the kubelet's own: kube's plugin leaves them alone. */
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

interface PodSpecAccounts {
  serviceAccountName?: unknown;
  serviceAccount?: unknown;
}

/**
 * kube's ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount), its mutating
 * half for pods on CREATE: a pod that names no service account gets `default`, in
 * `spec.serviceAccountName` and its deprecated alias `spec.serviceAccount` (which kube's
 * conversion keeps equal); a pod that names one only in the alias gets it in the field too.
 * A pod naming a ServiceAccount that does not exist is refused, 403 with kube's message
 * `error looking up service account NS/NAME: serviceaccount "NAME" not found`.
 *
 * Lenient where kube is strict: `default` is never refused, since in a namespace created a
 * moment ago the serviceaccount controller may not have made it yet (kube refuses then, and
 * clients retry). Not done: mounting the token as a volume (pods here have no file system of
 * their own to mount it in), and checking `spec.imagePullSecrets`/mountable secrets.
 */
export const serviceAccountPlugin: AdmissionPlugin = {
  name: 'ServiceAccount',
  async admit(req: AdmissionRequest): Promise<void> {
    if (req.operation !== 'CREATE' || req.subresource !== '' || req.def.group !== '' || req.def.kind !== 'Pod') return;
    const pod = req.object;
    if (!pod || pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    if (pod.spec === undefined || pod.spec === null) pod.spec = {};
    const spec = pod.spec as PodSpecAccounts;
    const named = nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount) ?? DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = named;
    spec.serviceAccount = named;
    if (named === DEFAULT_SERVICE_ACCOUNT) return;
    if (!(await serviceAccountExists(req, named))) {
      throw forbidden(
        req.def,
        req.name || (pod.metadata.generateName ?? ''),
        `error looking up service account ${req.namespace}/${named}: serviceaccount "${named}" not found`,
      );
    }
  },
};

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Through the watch cache, with a store read as the fallback (a ServiceAccount created a moment ago may not be cached yet). */
async function serviceAccountExists(req: AdmissionRequest, name: string): Promise<boolean> {
  const def = req.ctx.registry.byKind('', 'ServiceAccount');
  if (!def) return true;
  const found: KubeObject | undefined = req.ctx.caches.cachedObject(def, req.namespace, name) ?? (await req.ctx.objects.find(def, req.namespace, name));
  return found !== undefined;
}
