import type { KubeObject } from '../../kube/object.js';
import type { UserInfo } from '../auth/user-info.js';
import type { AuthzObjectSource } from './authz-object-source.js';
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer, ResourceAttributes } from './authorizer.js';

/**
 * A small version of kube's Node authorizer (plugin/pkg/auth/authorizer/node), run in front of
 * RBAC as `--authorization-mode Node,RBAC` does. For a node's identity (user
 * `system:node:<name>` in group `system:nodes`):
 * - secrets, configmaps, persistentvolumeclaims: only `get` of one named object that a pod bound
 *   to this node references (volumes, env, envFrom, imagePullSecrets); anything else on them is
 *   denied outright, whatever RBAC says;
 * - nodes (and nodes/status): writes only to its own Node;
 * - pods (and their subresources): writes and deletes only of pods bound to it;
 * - everything else, and every other user: no opinion, RBAC decides.
 */

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';

/** The node a user is, if it is a node's identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** undefined: no opinion (ask the next authorizer). */
export type NodeDecision = AuthorizationDecision | undefined;

export class NodeAuthorizer {
  constructor(private readonly source: AuthzObjectSource) {}

  decide(attrs: AuthorizationAttributes): NodeDecision {
    const node = nodeNameOf(attrs.user);
    if (node === undefined || attrs.kind !== 'resource' || attrs.apiGroup !== '') return undefined;
    switch (attrs.resource) {
      case 'secrets':
      case 'configmaps':
      case 'persistentvolumeclaims':
        return this.referencedObject(node, attrs);
      case 'nodes':
        if (WRITE_VERBS.has(attrs.verb) && attrs.name !== '' && attrs.name !== node) return deny(`node '${node}' cannot modify node '${attrs.name}'`);
        return undefined;
      case 'pods': {
        if (!WRITE_VERBS.has(attrs.verb) || attrs.name === '') return undefined;
        const pod = this.source.get('', 'Pod', attrs.namespace, attrs.name);
        const boundTo = pod ? podNodeName(pod) : '';
        if (pod && boundTo !== node)
          return deny(`node '${node}' cannot modify pod '${attrs.namespace}/${attrs.name}' bound to ${boundTo === '' ? 'no node' : `node '${boundTo}'`}`);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private referencedObject(node: string, attrs: ResourceAttributes): NodeDecision {
    if (attrs.verb !== 'get' || attrs.name === '' || attrs.subresource !== '') return deny('can only get individual resources of this type');
    for (const pod of this.source.list('', 'Pod', attrs.namespace)) {
      if (podNodeName(pod) !== node) continue;
      if (podReferences(pod).some((r) => r.resource === attrs.resource && r.name === attrs.name)) return { allowed: true, reason: '' };
    }
    return deny(`no relationship found between node '${node}' and this object`);
  }
}

function deny(reason: string): AuthorizationDecision {
  return { allowed: false, reason };
}

function podNodeName(pod: KubeObject): string {
  const spec = pod.spec as { nodeName?: unknown } | undefined;
  return typeof spec?.nodeName === 'string' ? spec.nodeName : '';
}

interface Reference {
  readonly resource: 'secrets' | 'configmaps' | 'persistentvolumeclaims';
  readonly name: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The secrets, configmaps and claims a pod uses (kube's node graph edges from a pod). */
export function podReferences(pod: KubeObject): Reference[] {
  const spec = rec(pod.spec);
  const refs: Reference[] = [];
  const add = (resource: Reference['resource'], name: string) => {
    if (name !== '') refs.push({ resource, name });
  };
  for (const ips of arr(spec.imagePullSecrets)) add('secrets', s(rec(ips).name));
  for (const v of arr(spec.volumes)) {
    const vol = rec(v);
    add('secrets', s(rec(vol.secret).secretName));
    add('configmaps', s(rec(vol.configMap).name));
    add('persistentvolumeclaims', s(rec(vol.persistentVolumeClaim).claimName));
    for (const source of arr(rec(vol.projected).sources)) {
      add('secrets', s(rec(rec(source).secret).name));
      add('configmaps', s(rec(rec(source).configMap).name));
    }
  }
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers), ...arr(spec.ephemeralContainers)]) {
    for (const e of arr(rec(c).env)) {
      const from = rec(rec(e).valueFrom);
      add('secrets', s(rec(from.secretKeyRef).name));
      add('configmaps', s(rec(from.configMapKeyRef).name));
    }
    for (const e of arr(rec(c).envFrom)) {
      add('secrets', s(rec(rec(e).secretRef).name));
      add('configmaps', s(rec(rec(e).configMapRef).name));
    }
  }
  return refs;
}

/** kube's union authorizer for `Node,RBAC`: the Node authorizer's answer when it has one, else the next's. */
export function nodeThen(node: NodeAuthorizer, next: Authorizer): Authorizer {
  return {
    async authorize(attrs) {
      return node.decide(attrs) ?? next.authorize(attrs);
    },
  };
}
