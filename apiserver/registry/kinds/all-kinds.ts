import type { ResourceDef } from '../types.js';
import { configMaps, secrets, serviceAccounts } from './config.js';
import { controllerRevisions } from './controllerrevisions.js';
import { daemonSets } from './daemonsets.js';
import { deployments } from './deployments.js';
import { endpointSlices, endpoints } from './endpoints.js';
import { events } from './events.js';
import { jobs } from './jobs.js';
import { leases } from './leases.js';
import { limitRanges } from './limitranges.js';
import { namespaces } from './namespaces.js';
import { nodes } from './nodes.js';
import { pods } from './pods.js';
import { replicaSets } from './replicasets.js';
import { replicationControllers } from './replicationcontrollers.js';
import { resourceQuotas } from './resourcequotas.js';
import { services } from './services.js';
import { statefulSets } from './statefulsets.js';
import { localSubjectAccessReviews, selfSubjectAccessReviews, selfSubjectRulesReviews, subjectAccessReviews } from './authorization.js';
import { clusterRoleBindings, clusterRoles, roleBindings, roles } from './rbac.js';
import { persistentVolumeClaims, persistentVolumes, storageClasses } from './storage.js';

/** Every kind picokube serves, one entry each, in kube's preferred group order (core, apps, batch, …). */
export const allKinds: readonly ResourceDef[] = [
  namespaces,
  pods,
  nodes,
  services,
  endpoints,
  events,
  configMaps,
  secrets,
  serviceAccounts,
  replicationControllers,
  persistentVolumes,
  persistentVolumeClaims,
  limitRanges,
  resourceQuotas,
  deployments,
  replicaSets,
  statefulSets,
  daemonSets,
  controllerRevisions,
  jobs,
  storageClasses,
  leases,
  endpointSlices,
  roles,
  clusterRoles,
  roleBindings,
  clusterRoleBindings,
  selfSubjectAccessReviews,
  subjectAccessReviews,
  localSubjectAccessReviews,
  selfSubjectRulesReviews,
];
