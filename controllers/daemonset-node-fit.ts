import { isPlainObject, type KubeObject } from '../kube/object.js';
import { type Taint, type Toleration, taintsOf, toleratesTaint } from '../kube/taints.js';

/**
 * Which nodes a DaemonSet's pod belongs on (kube's `NodeShouldRunDaemonPod` and the helpers of
 * pkg/controller/daemon/util): the template's nodeName, nodeSelector and required node affinity
 * must fit the node, and the node's NoSchedule/NoExecute taints must be tolerated by the
 * template's tolerations plus the ones every daemon pod gets. Pure.
 */

interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

/**
 * What kube adds to every daemon pod (AddOrUpdateDaemonPodTolerations): it must survive a node
 * going not-ready or unreachable (no tolerationSeconds, so never evicted) and run on nodes under
 * pressure or cordoned, as daemons are usually what keeps a node working.
 */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) tolerations.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

/** Adds each default toleration the list does not already hold (same key, operator, value, effect). */
export function withDaemonTolerations(tolerations: readonly Toleration[], hostNetwork: boolean): Toleration[] {
  const out = [...tolerations];
  for (const t of daemonPodTolerations(hostNetwork)) {
    const same = (o: Toleration): boolean => (o.key ?? '') === t.key && (o.operator ?? 'Equal') === t.operator && (o.effect ?? '') === t.effect;
    const i = out.findIndex(same);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** The first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0] ?? '', 10);
      if (!Number.isInteger(have) || !Number.isInteger(want)) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions (labels) and fields (only `metadata.name`) do; an empty term matches nothing. */
function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  if (!exprs.every((r) => requirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined))) return false;
  return fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined));
}

function podSpecOf(template: unknown): Record<string, unknown> {
  const spec = isPlainObject(template) ? template.spec : undefined;
  return isPlainObject(spec) ? spec : {};
}

/** nodeSelector (every label) and the required node affinity (any term) both hold. */
export function fitsNodeAffinity(podSpec: Record<string, unknown>, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const selector = podSpec.nodeSelector;
  if (isPlainObject(selector) && !Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const affinity = isPlainObject(podSpec.affinity) ? podSpec.affinity.nodeAffinity : undefined;
  const required = isPlainObject(affinity) ? affinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  if (!isPlainObject(required)) return true;
  const terms = Array.isArray(required.nodeSelectorTerms) ? (required.nodeSelectorTerms as NodeSelectorTerm[]) : [];
  return terms.some((t) => isPlainObject(t) && termMatches(t, node));
}

export interface NodeFit {
  /** A daemon pod should be created here. */
  readonly shouldRun: boolean;
  /** A daemon pod already here may stay (only NoExecute taints evict, NoSchedule ones do not). */
  readonly shouldContinueRunning: boolean;
}

/** kube's NodeShouldRunDaemonPod, for a DaemonSet's pod template. */
export function nodeShouldRunDaemonPod(node: KubeObject, template: unknown): NodeFit {
  const spec = podSpecOf(template);
  const no: NodeFit = { shouldRun: false, shouldContinueRunning: false };
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '' && spec.nodeName !== node.metadata.name) return no;
  if (!fitsNodeAffinity(spec, node)) return no;
  const own = Array.isArray(spec.tolerations) ? (spec.tolerations.filter(isPlainObject) as Toleration[]) : [];
  const tolerations = withDaemonTolerations(own, spec.hostNetwork === true);
  const taints = taintsOf(node);
  const blocking = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (!blocking) return { shouldRun: true, shouldContinueRunning: true };
  const evicting = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinueRunning: evicting === undefined };
}

/**
 * The pod's affinity with its required node terms replaced by "metadata.name In [node]"
 * (ReplaceDaemonSetPodNodeNameNodeAffinity): the default scheduler then binds it there, and
 * nothing else of the template's affinity is lost.
 */
export function withNodeNameAffinity(affinity: unknown, nodeName: string): Record<string, unknown> {
  const out: Record<string, unknown> = isPlainObject(affinity) ? structuredClone(affinity) : {};
  const nodeAffinity: Record<string, unknown> = isPlainObject(out.nodeAffinity) ? out.nodeAffinity : {};
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  out.nodeAffinity = nodeAffinity;
  return out;
}

/** The node a daemon pod is for: `spec.nodeName` once bound, else the node its affinity names (GetTargetNodeName). */
export function targetNodeName(pod: KubeObject): string | undefined {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') return spec.nodeName;
  const affinity = isPlainObject(spec.affinity) ? spec.affinity.nodeAffinity : undefined;
  const required = isPlainObject(affinity) ? affinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  const terms = isPlainObject(required) && Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
  for (const term of terms) {
    const fields = isPlainObject(term) && Array.isArray(term.matchFields) ? term.matchFields : [];
    for (const f of fields) {
      if (
        isPlainObject(f) &&
        f.key === 'metadata.name' &&
        f.operator === 'In' &&
        Array.isArray(f.values) &&
        f.values.length === 1 &&
        typeof f.values[0] === 'string'
      ) {
        return f.values[0];
      }
    }
  }
  return undefined;
}
