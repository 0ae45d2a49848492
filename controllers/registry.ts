import type { ControllerFactory } from './controller.js';
import { clusterRoleAggregationControllerFactory } from './clusterrole-aggregation-controller.js';
import { daemonSetControllerFactory } from './daemonset-controller.js';
import { deploymentControllerFactory } from './deployment-controller.js';
import { endpointsControllerFactory } from './endpoints-controller.js';
import { endpointSliceControllerFactory } from './endpointslice-controller.js';
import { garbageCollectorFactory } from './garbage-collector.js';
import { jobControllerFactory } from './job-controller.js';
import { namespaceControllerFactory } from './namespace-controller.js';
import { nodeLifecycleControllerFactory } from './node-lifecycle-controller.js';
import { defaultPersistentVolumeControllerFactory } from './persistentvolume-controller.js';
import { replicaSetControllerFactory, replicationControllerFactory } from './replicaset-controller.js';
import { resourceQuotaControllerFactory } from './resourcequota-controller.js';
import { serviceLbControllerFactory } from './service-lb-controller.js';
import { serviceAccountControllerFactory } from './serviceaccount-controller.js';
import { unconfiguredServiceAccountTokenControllerFactory } from './serviceaccount-token-controller.js';
import { statefulSetControllerFactory } from './statefulset-controller.js';
import { taintEvictionControllerFactory } from './taint-eviction-controller.js';
import { ttlAfterFinishedControllerFactory } from './ttl-after-finished-controller.js';

/**
 * Every controller the controller-manager can run, by the name `--controllers` uses (kube's
 * names). Order matters only for logs: controllers start in this order.
 */
export const controllerRegistry: Readonly<Record<string, ControllerFactory>> = {
  replicationcontroller: replicationControllerFactory,
  replicaset: replicaSetControllerFactory,
  deployment: deploymentControllerFactory,
  daemonset: daemonSetControllerFactory,
  statefulset: statefulSetControllerFactory,
  job: jobControllerFactory,
  'ttl-after-finished': ttlAfterFinishedControllerFactory,
  endpoint: endpointsControllerFactory,
  endpointslice: endpointSliceControllerFactory,
  // Replaced in main.ts by the one with the --load-balancer-ip-pool.
  service: serviceLbControllerFactory(),
  serviceaccount: serviceAccountControllerFactory,
  // Replaced by the configured one in main.ts when --service-account-private-key-file is given, left out otherwise.
  'serviceaccount-token': unconfiguredServiceAccountTokenControllerFactory,
  'persistentvolume-binder': defaultPersistentVolumeControllerFactory,
  garbagecollector: garbageCollectorFactory,
  resourcequota: resourceQuotaControllerFactory,
  'clusterrole-aggregation': clusterRoleAggregationControllerFactory,
  // Replaced in main.ts by the one configured with the --node-* flags.
  nodelifecycle: nodeLifecycleControllerFactory(),
  'taint-eviction-controller': taintEvictionControllerFactory,
  namespace: namespaceControllerFactory,
};

/** Controllers `*` does not turn on (kube keeps a few off by default); none here yet. */
export const DISABLED_BY_DEFAULT: ReadonlySet<string> = new Set();

/**
 * The controllers a `--controllers` list turns on, in registry order (kube's
 * IsControllerEnabled): `name` enables one, `-name` disables one, `*` enables every controller
 * not off by default; the first entry that names a controller decides for it. Throws on a name
 * that is not a controller.
 */
export function enabledControllers(flag: readonly string[], registry: Readonly<Record<string, ControllerFactory>> = controllerRegistry): string[] {
  const known = Object.keys(registry);
  for (const entry of flag) {
    const name = entry.startsWith('-') ? entry.slice(1) : entry;
    if (entry !== '*' && !known.includes(name)) throw new Error(`"${name}" is not in the list of known controllers (${known.join(', ')})`);
  }
  return known.filter((name) => {
    let star = false;
    for (const entry of flag) {
      if (entry === name) return true;
      if (entry === `-${name}`) return false;
      if (entry === '*') star = true;
    }
    return star && !DISABLED_BY_DEFAULT.has(name);
  });
}

/** `--controllers=*,-job` as a list. */
export function parseControllersFlag(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
