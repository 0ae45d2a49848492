import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { ContainerSpec, EnvVar } from './runtime/container-launcher.js';

/**
 * Typed, defensive reads of the parts of a Pod the node agent uses. Pods come from the apiserver
 * as JSON; a malformed field reads as absent instead of throwing (bad input never crashes us).
 */

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpecView {
  readonly nodeName: string;
  readonly restartPolicy: RestartPolicy;
  readonly containers: readonly ContainerSpec[];
  readonly initContainers: readonly ContainerSpec[];
  readonly terminationGracePeriodSeconds: number | undefined;
  readonly activeDeadlineSeconds: number | undefined;
  readonly serviceAccountName: string;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined);

function containerSpec(raw: unknown): ContainerSpec | undefined {
  if (!isPlainObject(raw) || typeof raw.name !== 'string' || raw.name === '') return undefined;
  const env: EnvVar[] = [];
  if (Array.isArray(raw.env)) {
    for (const e of raw.env) {
      if (!isPlainObject(e) || typeof e.name !== 'string') continue;
      env.push({ name: e.name, ...(typeof e.value === 'string' ? { value: e.value } : {}), ...(e.valueFrom !== undefined ? { valueFrom: e.valueFrom } : {}) });
    }
  }
  const command = strings(raw.command);
  const args = strings(raw.args);
  return {
    name: raw.name,
    image: str(raw.image),
    ...(command ? { command } : {}),
    ...(args ? { args } : {}),
    ...(typeof raw.workingDir === 'string' && raw.workingDir !== '' ? { workingDir: raw.workingDir } : {}),
    env,
  };
}

function containerList(v: unknown): ContainerSpec[] {
  if (!Array.isArray(v)) return [];
  const out: ContainerSpec[] = [];
  for (const c of v) {
    const spec = containerSpec(c);
    if (spec) out.push(spec);
  }
  return out;
}

export function podSpecOf(pod: KubeObject): PodSpecView {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const policy = spec.restartPolicy;
  return {
    nodeName: str(spec.nodeName),
    restartPolicy: policy === 'OnFailure' || policy === 'Never' ? policy : 'Always',
    containers: containerList(spec.containers),
    initContainers: containerList(spec.initContainers),
    terminationGracePeriodSeconds: int(spec.terminationGracePeriodSeconds),
    activeDeadlineSeconds: int(spec.activeDeadlineSeconds),
    serviceAccountName: str(spec.serviceAccountName),
  };
}

/** The pod's status as a record ({} when absent or malformed). */
export function podStatusOf(pod: KubeObject): Record<string, unknown> {
  return isPlainObject(pod.status) ? pod.status : {};
}

export function podPhaseOf(pod: KubeObject): string {
  return str(podStatusOf(pod).phase);
}

export function isTerminalPhase(phase: string): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The grace period a deletion asked for: the apiserver's `deletionGracePeriodSeconds`, else the spec's, else 30 s. */
export function deletionGraceSeconds(pod: KubeObject): number {
  const fromMeta = int(pod.metadata.deletionGracePeriodSeconds);
  if (fromMeta !== undefined) return Math.max(0, fromMeta);
  return Math.max(0, podSpecOf(pod).terminationGracePeriodSeconds ?? 30);
}

/** The container statuses the API holds (for adoption and for keeping fields the agent does not own). */
export function apiContainerStatuses(pod: KubeObject, field: 'containerStatuses' | 'initContainerStatuses'): Record<string, unknown>[] {
  const list = podStatusOf(pod)[field];
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}
