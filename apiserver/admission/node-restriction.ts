import type { KubeObject } from '../../kube/object.js';
import type { UserInfo } from '../auth/user-info.js';
import { str } from '../registry/kinds/json.js';
import { forbidden } from '../status.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';

/**
 * kube's NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): a node agent,
 * authenticated as `system:node:<name>` in group `system:nodes`, may only
 * - create, update, patch (and write the status of) or delete its own Node, never setting or
 *   changing labels under `node-restriction.kubernetes.io/`;
 * - create mirror pods bound to itself, write the status of pods bound to it, delete (or evict)
 *   pods bound to it, and no other pod writes;
 * - touch only its own Lease in `kube-node-lease`.
 * Everyone else passes untouched. Refusals are 403 with kube's wording, wrapped by admission's
 * NewForbidden: `nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"`.
 * It runs in the validating phase so that it sees the final object (a patch applied, the status
 * written over the stored object).
 */

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
export const NODE_RESTRICTION_LABEL_PREFIX = 'node-restriction.kubernetes.io/';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The node a user acts for (kube's nodeidentifier): `n1` for `system:node:n1` in `system:nodes`; undefined otherwise. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

export const nodeRestrictionPlugin: AdmissionPlugin = {
  name: 'NodeRestriction',
  async validate(req: AdmissionRequest): Promise<void> {
    const nodeName = nodeNameOf(req.user);
    if (nodeName === undefined) return;
    // A user in system:nodes whose name says no node (`system:node:`) matches nothing: refuse, as kube does.
    if (nodeName === '') throw refuse(req, `could not determine node from user "${req.user.name}"`);
    if (req.def.group === '' && req.def.plural === 'nodes') checkNode(req, nodeName);
    else if (req.def.group === '' && req.def.plural === 'pods') checkPod(req, nodeName);
    else if (req.def.group === 'coordination.k8s.io' && req.def.plural === 'leases') checkLease(req, nodeName);
  },
};

function refuse(req: AdmissionRequest, why: string) {
  return forbidden(req.def, req.name, why);
}

function checkNode(req: AdmissionRequest, nodeName: string): void {
  if (req.operation === 'CREATE') {
    const set = restrictedLabels(labelsOf(req.object), {});
    if (set.length > 0) throw refuse(req, `node "${nodeName}" is not allowed to set the following labels: ${set.join(', ')}`);
  }
  if (req.name !== nodeName) throw refuse(req, `node "${nodeName}" is not allowed to modify node "${req.name}"`);
  if (req.operation === 'UPDATE') {
    const changed = restrictedLabels(labelsOf(req.object), labelsOf(req.oldObject));
    if (changed.length > 0) throw refuse(req, `node "${nodeName}" is not allowed to modify labels: ${changed.join(', ')}`);
  }
}

function checkPod(req: AdmissionRequest, nodeName: string): void {
  if (req.subresource === 'status') {
    if (req.operation !== 'UPDATE') throw refuse(req, `unexpected operation "${req.operation}"`);
    if (boundNode(req.oldObject) !== nodeName) throw refuse(req, `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`);
    return;
  }
  if (req.subresource === 'eviction') {
    if (boundNode(req.oldObject) !== nodeName) throw refuse(req, `node "${nodeName}" can only evict pods with spec.nodeName set to itself`);
    return;
  }
  if (req.subresource !== '') throw refuse(req, `unexpected pod subresource "${req.subresource}", only 'status' and 'eviction' are allowed`);
  switch (req.operation) {
    case 'CREATE': {
      const annotations = req.object?.metadata.annotations ?? {};
      if (!Object.hasOwn(annotations, MIRROR_POD_ANNOTATION)) {
        throw refuse(req, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${nodeName}" can only create mirror pods`);
      }
      if (boundNode(req.object) !== nodeName) throw refuse(req, `node "${nodeName}" can only create pods with spec.nodeName set to itself`);
      return;
    }
    case 'DELETE':
      if (boundNode(req.oldObject) !== nodeName) throw refuse(req, `node "${nodeName}" can only delete pods with spec.nodeName set to itself`);
      return;
    default:
      throw refuse(req, `unexpected operation "${req.operation}", node "${nodeName}" can only create and delete mirror pods`);
  }
}

function checkLease(req: AdmissionRequest, nodeName: string): void {
  if (req.namespace !== NODE_LEASE_NAMESPACE) return;
  if (req.name !== nodeName) throw refuse(req, `node "${nodeName}" can only access node lease with the same name as the requesting node`);
}

function boundNode(pod: KubeObject | undefined): string {
  return str((pod?.spec as { nodeName?: unknown } | undefined)?.nodeName);
}

function labelsOf(obj: KubeObject | undefined): Readonly<Record<string, string>> {
  return obj?.metadata.labels ?? {};
}

/** The restricted labels set, changed or removed between `before` and `after`, sorted (kube lists them so). */
function restrictedLabels(after: Readonly<Record<string, string>>, before: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
  return [...keys].filter((k) => isRestricted(k) && after[k] !== before[k]).sort();
}

/** `node-restriction.kubernetes.io/x`, and any `*.node-restriction.kubernetes.io/x`, as kube's check reads the label's domain. */
function isRestricted(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  const restricted = NODE_RESTRICTION_LABEL_PREFIX.slice(0, -1);
  return domain === restricted || domain.endsWith(`.${restricted}`);
}
