import type { KubeObject } from '../../../kube/object.js';
import type { ResourceDef } from '../types.js';
import { at, child, str } from './json.js';
import { POD_COLUMNS } from './pod-columns.js';
import { defaultPodOnly, defaultPodSpec } from './pod-defaults.js';
import { podQosClass } from './pod-qos.js';
import { validatePodSpec } from './pod-spec-validation.js';
import { validatePodUpdate } from './pod-update.js';

/** core/v1 Pod (kube's pkg/registry/core/pod strategy). Pods keep no generation in 1.32. */

function defaultPod(pod: KubeObject): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec, true);
  defaultPodOnly(spec);
}

/** A new pod is Pending, with its QoS class; a gated pod says why it is not scheduled. */
function prepareForCreate(pod: KubeObject): void {
  // Defaulting is idempotent; running it first makes the QoS class see requests defaulted from limits.
  defaultPod(pod);
  const spec = child(pod, 'spec');
  const status: Record<string, unknown> = { phase: 'Pending', qosClass: podQosClass(spec) };
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    status.conditions = [
      { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    ];
  }
  pod.status = status;
}

/** The fields `kubectl get pods --field-selector` may use (kube's PodToSelectableFields). */
const fieldSelectors: ResourceDef['fieldSelectors'] = {
  'spec.nodeName': (o) => str(at(o, 'spec', 'nodeName')),
  'spec.restartPolicy': (o) => str(at(o, 'spec', 'restartPolicy')),
  'spec.schedulerName': (o) => str(at(o, 'spec', 'schedulerName')),
  'spec.serviceAccountName': (o) => str(at(o, 'spec', 'serviceAccountName')),
  'spec.hostNetwork': (o) => String(at(o, 'spec', 'hostNetwork') === true),
  'status.phase': (o) => str(at(o, 'status', 'phase')),
  'status.podIP': (o) => str(at(o, 'status', 'podIPs', 0, 'ip')) || str(at(o, 'status', 'podIP')),
  'status.nominatedNodeName': (o) => str(at(o, 'status', 'nominatedNodeName')),
};

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.Pod',
  subresources: ['status', 'binding', 'eviction', 'log'],
  nameRule: 'subdomain',
  columns: POD_COLUMNS,
  fieldSelectors,
  defaults: defaultPod,
  prepareForCreate,
  validate: (pod, old) => {
    const causes = validatePodSpec(pod.spec, 'spec', { isPod: true });
    if (old) causes.push(...validatePodUpdate(pod, old));
    return causes;
  },
};
