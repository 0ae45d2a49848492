import { type Schema, type SchemaDefinitions, schemaRef } from '../../kube/schema/types.js';
import type { ResourceDef, Subresource } from '../registry/types.js';

/**
 * The OpenAPI v3 paths of one resource, shaped as kube-apiserver publishes them in
 * `/openapi/v3/<group-version>`: collection and item paths (plus the all-namespaces list of a
 * namespaced kind) and one path per subresource, each operation tagged with
 * `x-kubernetes-action` and `x-kubernetes-group-version-kind`.
 *
 * Two clients depend on the tags: `kubectl explain` finds a resource's kind through the GVK of
 * the operations under `/api/v1/<plural>` or `/api/v1/namespaces/{namespace}/<plural>[/{name}]`,
 * and kubectl's server-side validation check looks for a PATCH operation with the kind's GVK
 * and a `fieldValidation` parameter (else it falls back to client-side validation via v2).
 */

export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: Schema;
}

export interface Operation {
  readonly tags: readonly string[];
  readonly description: string;
  readonly operationId: string;
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: Schema }>>; readonly required: true };
  readonly responses: Readonly<Record<string, { readonly description: string; readonly content?: Readonly<Record<string, { readonly schema: Schema }>> }>>;
  readonly 'x-kubernetes-action': Action;
  readonly 'x-kubernetes-group-version-kind': GroupVersionKind;
}

export interface PathItem {
  readonly parameters: readonly Parameter[];
  readonly get?: Operation;
  readonly put?: Operation;
  readonly post?: Operation;
  readonly patch?: Operation;
  readonly delete?: Operation;
}

type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';
type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
/** Key order as upstream prints it; kubectl compares these objects with the schemas' GVK entries. */
interface GroupVersionKind {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const STATUS_SCHEMA = `${META}.Status`;
export const DELETE_OPTIONS_SCHEMA = `${META}.DeleteOptions`;
export const PATCH_SCHEMA = `${META}.Patch`;
const SUBRESOURCE_KINDS: Partial<Record<Subresource, { gvk: GroupVersionKind; schema: string }>> = {
  scale: { gvk: { group: 'autoscaling', kind: 'Scale', version: 'v1' }, schema: 'io.k8s.api.autoscaling.v1.Scale' },
  binding: { gvk: { group: '', kind: 'Binding', version: 'v1' }, schema: 'io.k8s.api.core.v1.Binding' },
  eviction: { gvk: { group: 'policy', kind: 'Eviction', version: 'v1' }, schema: 'io.k8s.api.policy.v1.Eviction' },
};

/** The schemas a resource's operations refer to by name (its kind, list kind, subresource kinds). */
export function resourceSchemaNames(def: ResourceDef): string[] {
  return [def.schemaName, `${def.schemaName}List`, ...def.subresources.flatMap((s) => SUBRESOURCE_KINDS[s]?.schema ?? [])];
}

const query = (name: string, type: 'string' | 'integer' | 'boolean', description: string): Parameter => ({
  name,
  in: 'query',
  description,
  schema: { type },
});
const P = {
  pretty: query('pretty', 'string', "If 'true', then the output is pretty printed."),
  dryRun: query('dryRun', 'string', 'When present, indicates that modifications should not be persisted. The only valid value is All.'),
  fieldManager: query('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: query(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default) and Strict.',
  ),
  force: query(
    'force',
    'boolean',
    'Force is going to "force" Apply requests: it re-acquires conflicting fields owned by other people. Must be unset for non-apply patches.',
  ),
  gracePeriodSeconds: query('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  orphanDependents: query('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy.'),
  propagationPolicy: query('propagationPolicy', 'string', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
  labelSelector: query('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: query('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  limit: query('limit', 'integer', 'limit is a maximum number of responses to return for a list call; `continue` fetches the rest.'),
  continue: query('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: query('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: query('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  timeoutSeconds: query('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  watch: query('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
  allowWatchBookmarks: query('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  sendInitialEvents: query('sendInitialEvents', 'boolean', 'With watch=true, begins the watch stream with synthetic events for the current state.'),
  container: query('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
  follow: query('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  previous: query('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
  sinceSeconds: query('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs.'),
  tailLines: query('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show.'),
  timestamps: query('timestamps', 'boolean', 'If true, add an RFC3339 timestamp at the beginning of every line of log output.'),
  limitBytes: query('limitBytes', 'integer', 'If set, the number of bytes to read from the server before terminating the log output.'),
};
const WRITE = [P.dryRun, P.fieldManager, P.fieldValidation];
const LIST = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch].concat([
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
]);
const DELETE = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const LOG = [P.container, P.follow, P.limitBytes, P.previous, P.sinceSeconds, P.tailLines, P.timestamps];

const pathParam = (name: 'name' | 'namespace', what: string): Parameter => ({
  name,
  in: 'path',
  description: `${what} of the ${name === 'name' ? 'resource' : 'namespace'}`,
  required: true,
  schema: { type: 'string' },
});

const BODY_TYPES = ['application/json', 'application/yaml'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** The paths of one resource, keyed by URL template. */
export function resourcePaths(def: ResourceDef, definitions: SchemaDefinitions): Record<string, PathItem> {
  const gvk: GroupVersionKind = { group: def.group, kind: def.kind, version: def.version };
  const prefix = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
  const scope = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}` : `${prefix}/${def.plural}`;
  const ns = def.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const name = [pathParam('name', 'name')];
  const op = operationFactory(def);
  const kind = schemaOf(def.schemaName, definitions);
  const list = schemaOf(`${def.schemaName}List`, definitions);
  const paths: Record<string, PathItem> = {
    [scope]: {
      parameters: [...ns, P.pretty],
      get: op('list', '', gvk, LIST, { '200': list }),
      post: op('post', '', gvk, WRITE, { '200': kind, '201': kind, '202': kind }, kind),
      delete: op(
        'deletecollection',
        '',
        gvk,
        [...LIST, ...DELETE],
        { '200': schemaOf(STATUS_SCHEMA, definitions) },
        schemaOf(DELETE_OPTIONS_SCHEMA, definitions),
      ),
    },
    [`${scope}/{name}`]: {
      parameters: [...name, ...ns, P.pretty],
      get: op('get', '', gvk, [], { '200': kind }),
      put: op('put', '', gvk, WRITE, { '200': kind, '201': kind }, kind),
      patch: op('patch', '', gvk, [...WRITE, P.force], { '200': kind, '201': kind }, schemaOf(PATCH_SCHEMA, definitions), PATCH_TYPES),
      delete: op('delete', '', gvk, DELETE, { '200': kind, '202': kind }, schemaOf(DELETE_OPTIONS_SCHEMA, definitions)),
    },
  };
  if (def.namespaced) paths[`${prefix}/${def.plural}`] = { parameters: [P.pretty], get: op('list', 'ForAllNamespaces', gvk, LIST, { '200': list }) };
  for (const sub of def.subresources) {
    const item = { parameters: [...name, ...ns, P.pretty] };
    const other = SUBRESOURCE_KINDS[sub];
    const subGvk = other?.gvk ?? gvk;
    const body = other ? schemaOf(other.schema, definitions) : kind;
    const suffix = sub[0]?.toUpperCase() + sub.slice(1);
    const patch = schemaOf(PATCH_SCHEMA, definitions);
    let ops: Partial<Record<Method, Operation>>;
    if (sub === 'status' || sub === 'scale') {
      ops = {
        get: op('get', suffix, subGvk, [], { '200': body }),
        put: op('put', suffix, subGvk, WRITE, { '200': body, '201': body }, body),
        patch: op('patch', suffix, subGvk, [...WRITE, P.force], { '200': body, '201': body }, patch, PATCH_TYPES),
      };
    } else if (sub === 'log') {
      ops = { get: op('get', suffix, gvk, LOG, { '200': { type: 'string' } }, undefined, undefined, 'text/plain') };
    } else {
      ops = { post: op('post', suffix, subGvk, WRITE, { '200': body, '201': body, '202': body }, body) };
    }
    paths[`${scope}/{name}/${sub}`] = { ...item, ...ops };
  }
  return paths;
}

function schemaOf(name: string, definitions: SchemaDefinitions): Schema {
  return Object.hasOwn(definitions, name) ? schemaRef(name) : { type: 'object' };
}

/** Builds operations named and worded as upstream's (`readCoreV1NamespacedPodStatus`). */
function operationFactory(def: ResourceDef) {
  const groupWord = def.group === '' ? 'core' : (def.group.split('.')[0] ?? def.group);
  const tag = `${groupWord}_${def.version}`;
  const gv = `${capitalize(groupWord)}${capitalize(def.version)}`;
  const scoped = def.namespaced ? 'Namespaced' : '';
  return (
    action: Action,
    suffix: string,
    gvk: GroupVersionKind,
    parameters: readonly Parameter[],
    responses: Readonly<Record<string, Schema>>,
    requestBody?: Schema,
    requestTypes: readonly string[] = BODY_TYPES,
    responseType = 'application/json',
  ): Operation => {
    const [verb, words] = OPERATION_WORDS[action];
    const allNamespaces = suffix === 'ForAllNamespaces';
    const subresource = allNamespaces ? '' : suffix;
    const operationId = allNamespaces
      ? `${verb}${gv}${def.kind}ForAllNamespaces`
      : `${verb}${gv}${action === 'deletecollection' ? 'Collection' : ''}${scoped}${def.kind}${subresource}`;
    const what = subresource ? `${subresource.toLowerCase()} of the specified ${def.kind}` : `${words} ${def.kind}`;
    const out: Record<string, { description: string; content?: Record<string, { schema: Schema }> }> = {};
    for (const [code, schema] of Object.entries(responses)) out[code] = { description: RESPONSE_WORDS[code] ?? 'OK', content: { [responseType]: { schema } } };
    out['401'] = { description: 'Unauthorized' };
    return {
      tags: [tag],
      description: `${verb === 'read' ? 'read' : verb} ${what}`,
      operationId,
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody: { content: Object.fromEntries(requestTypes.map((t) => [t, { schema: requestBody }])), required: true as const } } : {}),
      responses: out,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    };
  };
}

const OPERATION_WORDS: Readonly<Record<Action, readonly [string, string]>> = {
  get: ['read', 'the specified'],
  list: ['list', 'objects of kind'],
  post: ['create', 'a'],
  put: ['replace', 'the specified'],
  patch: ['patch', 'the specified'],
  delete: ['delete', 'a'],
  deletecollection: ['delete', 'collection of'],
};
const RESPONSE_WORDS: Readonly<Record<string, string>> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };

function capitalize(s: string): string {
  return s.length ? `${s[0]?.toUpperCase()}${s.slice(1)}` : s;
}
