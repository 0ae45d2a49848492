import { labelSelectorFromSet } from '../kube/labels/label-selector.js';
import type { KubeObject } from '../kube/object.js';

/**
 * What the Endpoints and EndpointSlice controllers share (kube's pkg/controller/util/endpoint):
 * which Services select a pod, whether a pod belongs in a Service's endpoints, whether it is
 * ready, and the port a Service port reaches on a pod (a named targetPort is looked up in the
 * pod's container ports). Pure.
 */

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
  readonly targetPort?: number | string;
  readonly appProtocol?: string;
}

/** One port of an Endpoints subset or an EndpointSlice. */
export interface EndpointPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly appProtocol?: string;
}

export interface ServiceView {
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly ports: readonly ServicePort[];
  readonly type: string;
  readonly clusterIP: string;
  readonly publishNotReadyAddresses: boolean;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

export function serviceView(svc: KubeObject): ServiceView {
  const spec = rec(svc.spec);
  const selector = spec.selector === undefined || spec.selector === null ? undefined : strMap(spec.selector);
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).map(rec).filter((p) => typeof p.port === 'number') as unknown as ServicePort[];
  return {
    selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
    ports,
    type: typeof spec.type === 'string' ? spec.type : 'ClusterIP',
    clusterIP: typeof spec.clusterIP === 'string' ? spec.clusterIP : '',
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

/**
 * Whether the controllers manage this Service's endpoints: it has a selector (without one the
 * user writes them) and is not ExternalName.
 */
export function managesEndpoints(view: ServiceView): boolean {
  return view.selector !== undefined && view.type !== 'ExternalName';
}

export function selects(view: ServiceView, pod: KubeObject): boolean {
  if (view.selector === undefined) return false;
  try {
    return labelSelectorFromSet(view.selector).matches(pod.metadata.labels ?? {});
  } catch {
    // A selector the apiserver should not have accepted selects nothing.
    return false;
  }
}

export function podIP(pod: KubeObject): string {
  const ip = rec(pod.status).podIP;
  return typeof ip === 'string' ? ip : '';
}

export function podIsReady(pod: KubeObject): boolean {
  const conditions = rec(pod.status).conditions;
  return Array.isArray(conditions) && conditions.map(rec).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/**
 * kube's ShouldPodBeInEndpoints: not without an IP, not once it finished for good (Succeeded, or
 * Failed under restartPolicy Never/OnFailure, which is every terminal pod here since the phase
 * is final), and not while terminating unless `includeTerminating` (EndpointSlices keep them,
 * marked terminating).
 */
export function belongsInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (podIP(pod) === '') return false;
  const phase = rec(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return includeTerminating || !isTerminating(pod);
}

/**
 * The port `sp` reaches on `pod` (kube's podutil.FindPort): a number is used as it is; a name is
 * the containerPort of that name and the Service port's protocol; undefined when no container
 * declares it (the pod is then left out for this port).
 */
export function resolveTargetPort(pod: KubeObject, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target > 0 ? target : sp.port;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  const containers = rec(pod.spec).containers;
  for (const c of Array.isArray(containers) ? containers.map(rec) : []) {
    for (const p of Array.isArray(c.ports) ? c.ports.map(rec) : []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol && typeof p.containerPort === 'number') return p.containerPort;
    }
  }
  return undefined;
}

/** The ports of `view` as they reach `pod`, in the Service's order; those that do not resolve are left out. */
export function endpointPortsFor(view: ServiceView, pod: KubeObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of view.ports) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** A canonical key for a list of ports, to group pods that expose the same ones. */
export function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify([...ports].map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? '']).sort());
}

/** Orders by IP numerically (10.0.0.9 before 10.0.0.10), then by text. */
export function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && Number.isFinite(d)) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The namespaced keys of the Services (from `candidates`, the pod's namespace) that select `pod`. */
export function servicesSelecting(candidates: readonly KubeObject[], pod: KubeObject): string[] {
  return candidates.filter((s) => selects(serviceView(s), pod)).map((s) => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`);
}
