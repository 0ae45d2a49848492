import { isPlainObject } from '../../../kube/object.js';
import { at, child, type JsonRecord, rec, records, setDefault, setDefaultString } from './json.js';

/**
 * Defaulting of pod specs, for pods and for every pod template (kube's SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_Volume… in pkg/apis/core/v1/defaults.go). What only a Pod gets
 * (SetDefaults_Pod, and what the Priority admission plugin sets) is in `defaultPodOnly`.
 */

/** The tag of an image reference: `latest` when neither a tag nor a digest is given. */
export function imageTag(image: string): string {
  if (image === '') return '';
  if (image.includes('@')) {
    const beforeDigest = image.slice(0, image.indexOf('@'));
    return tagOf(beforeDigest);
  }
  return tagOf(image) || 'latest';
}

function tagOf(ref: string): string {
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon >= 0 ? lastSegment.slice(colon + 1) : '';
}

function defaultProbe(probe: unknown): void {
  if (!isPlainObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

/** HTTPGet defaults of a probe or a lifecycle hook. */
function defaultHandler(handler: unknown): void {
  const httpGet = at(handler, 'httpGet');
  if (!isPlainObject(httpGet)) return;
  setDefaultString(httpGet, 'path', '/');
  setDefaultString(httpGet, 'scheme', 'HTTP');
}

function defaultFieldRef(fieldRef: unknown): void {
  if (isPlainObject(fieldRef)) setDefaultString(fieldRef, 'apiVersion', 'v1');
}

function defaultContainer(c: JsonRecord): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setDefaultString(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultString(c, 'terminationMessagePolicy', 'File');
  // A Go struct, never omitted: kube-apiserver always answers `resources: {}`.
  setDefault(c, 'resources', {});
  for (const [port] of records(c.ports)) setDefaultString(port, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  defaultHandler(at(c, 'lifecycle', 'postStart'));
  defaultHandler(at(c, 'lifecycle', 'preStop'));
  for (const [env] of records(c.env)) defaultFieldRef(at(env, 'valueFrom', 'fieldRef'));
}

const VOLUME_SOURCES_WITH_MODE = ['secret', 'configMap', 'downwardAPI', 'projected'];

/** Every field of a volume but its name names its source (`emptyDir`, `configMap`…). */
export function volumeSources(volume: JsonRecord): string[] {
  return Object.keys(volume).filter((k) => k !== 'name' && volume[k] !== undefined && volume[k] !== null);
}

function defaultVolume(v: JsonRecord): void {
  // A volume that names no source is an emptyDir.
  if (volumeSources(v).length === 0) v.emptyDir = {};
  for (const source of VOLUME_SOURCES_WITH_MODE) {
    const s = v[source];
    if (isPlainObject(s)) setDefault(s, 'defaultMode', 0o644);
  }
  const hostPath = v.hostPath;
  if (isPlainObject(hostPath)) setDefault(hostPath, 'type', '');
  for (const [item] of records(at(v, 'downwardAPI', 'items'))) defaultFieldRef(item.fieldRef);
}

/**
 * Defaults of a pod spec. `isPod`: the spec is a Pod's own (not a template's), where a host-network
 * pod's ports get their hostPort (the DefaultHostNetworkHostPortsInPodTemplates gate is off in 1.32).
 */
export function defaultPodSpec(spec: JsonRecord, isPod: boolean): void {
  setDefaultString(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultString(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultString(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    for (const [c] of records(spec[list])) {
      defaultContainer(c);
      if (isPod && spec.hostNetwork === true) {
        for (const [port] of records(c.ports)) if (!port.hostPort) port.hostPort = port.containerPort;
      }
    }
  }
  for (const [v] of records(spec.volumes)) defaultVolume(v);
}

/**
 * What a Pod gets beyond its spec's defaults: requests default to limits (only on pods, never on
 * templates), service links on, and priority 0 with the default preemption policy (the Priority
 * admission plugin's result when no PriorityClass applies).
 */
export function defaultPodOnly(spec: JsonRecord): void {
  for (const list of ['containers', 'initContainers']) {
    for (const [c] of records(spec[list])) {
      const resources = rec(c.resources);
      const limits = rec(resources.limits);
      if (Object.keys(limits).length === 0) continue;
      const requests = child(resources, 'requests');
      for (const [name, quantity] of Object.entries(limits)) setDefault(requests, name, quantity);
      c.resources = resources;
    }
  }
  addDefaultTolerationSeconds(spec);
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.priorityClassName === undefined || spec.priorityClassName === '') setDefault(spec, 'priority', 0);
  setDefaultString(spec, 'preemptionPolicy', 'PreemptLowerPriority');
}

/** How long a pod stays on a not-ready or unreachable node before the taint eviction deletes it (kube's default). */
export const DEFAULT_TOLERATION_SECONDS = 300;

const NODE_CONDITION_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * kube's DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds), on
 * every pod create and update: a pod with no toleration for the not-ready or the unreachable
 * NoExecute taint gets one, `Exists` for 300 s, appended in that order. A toleration counts when
 * its key is that taint's or empty and its effect is NoExecute or empty, whatever its operator.
 */
export function addDefaultTolerationSeconds(spec: JsonRecord): void {
  const existing = records(spec.tolerations).map(([t]) => t);
  const added: JsonRecord[] = [];
  for (const key of NODE_CONDITION_TAINTS) {
    const tolerated = existing.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
    if (!tolerated) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (added.length > 0) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...added];
}

/** Defaults of the pod template at `spec.template` of a workload (Deployment, Job…). */
export function defaultTemplate(obj: JsonRecord): void {
  const spec = at(obj, 'spec', 'template', 'spec');
  if (isPlainObject(spec)) defaultPodSpec(spec, false);
}
