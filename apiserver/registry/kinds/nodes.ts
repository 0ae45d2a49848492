import type { KubeObject } from '../../../kube/object.js';
import { duplicate, forbidden, invalid, required } from '../../../kube/validation/field-errors.js';
import { isQualifiedName, isValidLabelValue } from '../../../kube/validation/identifiers.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, list, rec, records, str } from './json.js';
import { validateTaintEffect } from './pod-spec-validation.js';

/** core/v1 Node (kube's pkg/registry/core/node strategy). Nodes keep no generation. */

/** Allocatable defaults to capacity (kube's SetDefaults_NodeStatus). */
function defaultNode(node: KubeObject): void {
  const status = node.status;
  if (status === undefined || status === null) return;
  const s = rec(status);
  if ((s.allocatable === undefined || s.allocatable === null) && s.capacity !== undefined && s.capacity !== null) s.allocatable = structuredClone(s.capacity);
}

function validateTaints(taints: unknown): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  for (const [t, i] of records(taints)) {
    const p = `spec.taints[${i}]`;
    const key = str(t.key);
    if (key === '') causes.push(required(`${p}.key`));
    else for (const msg of isQualifiedName(key)) causes.push(invalid(`${p}.key`, key, msg));
    for (const msg of isValidLabelValue(str(t.value))) causes.push(invalid(`${p}.value`, str(t.value), msg));
    const effectErrs = validateTaintEffect(t.effect, false, `${p}.effect`);
    causes.push(...effectErrs);
    const id = `${str(t.effect)}\u0000${key}`;
    if (effectErrs.length === 0 && seen.has(id)) {
      const dup = duplicate(p, t);
      causes.push({ ...dup, message: `${dup.message}: taints must be unique by key and effect pair` });
    }
    seen.add(id);
  }
  return causes;
}

function validateNode(node: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes = validateTaints(at(node, 'spec', 'taints'));
  if (!old) return causes;
  const cidrs = (o: KubeObject): string => JSON.stringify(list(at(o, 'spec', 'podCIDRs')));
  if (list(at(old, 'spec', 'podCIDRs')).length > 0 && cidrs(node) !== cidrs(old)) {
    causes.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = str(at(old, 'spec', 'providerID'));
  if (oldProvider !== '' && str(at(node, 'spec', 'providerID')) !== oldProvider) {
    causes.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return causes;
}

/** Ready / NotReady / Unknown, then SchedulingDisabled for a cordoned node. */
function nodeStatus(node: KubeObject): string {
  const ready = records(at(node, 'status', 'conditions')).find(([c]) => c.type === 'Ready')?.[0];
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (at(node, 'spec', 'unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** Roles from `node-role.kubernetes.io/<role>` labels and the older `kubernetes.io/role`, sorted. */
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length) roles.add(key.slice(ROLE_PREFIX.length));
    else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function address(node: KubeObject, type: string): string {
  return str(records(at(node, 'status', 'addresses')).find(([a]) => a.type === type)?.[0].address) || '<none>';
}

function nodeInfo(field: string): (node: KubeObject) => string {
  return (node) => str(at(node, 'status', 'nodeInfo', field)) || '<unknown>';
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Status', 'string', 'The status of the node', nodeStatus),
  column('Roles', 'string', 'The roles of the node', nodeRoles),
  ageColumn(),
  column('Version', 'string', 'Kubelet Version reported by the node.', (o) => str(at(o, 'status', 'nodeInfo', 'kubeletVersion'))),
  column('Internal-IP', 'string', 'List of addresses reachable to the node.', (o) => address(o, 'InternalIP'), 1),
  column('External-IP', 'string', 'List of addresses reachable to the node.', (o) => address(o, 'ExternalIP'), 1),
  column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', nodeInfo('osImage'), 1),
  column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", nodeInfo('kernelVersion'), 1),
  column(
    'Container-Runtime',
    'string',
    'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    nodeInfo('containerRuntimeVersion'),
    1,
  ),
];

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.Node',
  subresources: ['status'],
  keepStatusOnCreate: true,
  nameRule: 'subdomain',
  columns: COLUMNS,
  fieldSelectors: { 'spec.unschedulable': (o) => String(at(o, 'spec', 'unschedulable') === true) },
  defaults: defaultNode,
  validate: validateNode,
};
