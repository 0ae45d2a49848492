import type { KubeObject } from '../../../kube/object.js';
import { invalid, required } from '../../../kube/validation/field-errors.js';
import { isQualifiedName } from '../../../kube/validation/identifiers.js';
import { column, NAME_DESCRIPTION } from '../../table/columns.js';
import { timestampAge } from '../../table/human-duration.js';
import { EVENT_TTL_SECONDS_DEFAULT } from '../../storage/object-leases.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, num, str } from './json.js';

/**
 * core/v1 Event (kube's pkg/registry/core/event). Through core/v1, events get only the legacy
 * checks: their names are path segments, and an event about an object lives in that object's
 * namespace.
 */

const LENGTH_LIMIT = 128;
const NOTE_LENGTH_LIMIT = 1024;

function validateEvent(ev: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const namespace = ev.metadata.namespace ?? '';
  const involvedNamespace = str(at(ev, 'involvedObject', 'namespace'));
  const mismatch = (): FieldCause => invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace');
  if (str(ev.eventTime) === '') {
    if (involvedNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNamespace) causes.push(mismatch());
    return causes;
  }
  if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') causes.push(mismatch());
  const controller = str(ev.reportingComponent);
  if (controller === '') causes.push(required('reportingComponent'));
  for (const msg of isQualifiedName(controller)) causes.push(invalid('reportingComponent', controller, msg));
  for (const field of ['reportingInstance', 'action', 'reason']) {
    const v = str(ev[field]);
    if (v === '') causes.push(required(field));
    if (v.length > LENGTH_LIMIT) causes.push(invalid(field, '', `can have at most ${LENGTH_LIMIT} characters`));
  }
  if (str(ev.message).length > NOTE_LENGTH_LIMIT) causes.push(invalid('message', '', `can have at most ${NOTE_LENGTH_LIMIT} characters`));
  return causes;
}

function firstSeen(ev: KubeObject, nowMs: number): string {
  return str(ev.firstTimestamp) !== '' ? timestampAge(ev.firstTimestamp, nowMs) : timestampAge(ev.eventTime, nowMs);
}

function lastSeen(ev: KubeObject, nowMs: number): string {
  if (at(ev, 'series') !== undefined && at(ev, 'series') !== null) return timestampAge(at(ev, 'series', 'lastObservedTime'), nowMs);
  return str(ev.lastTimestamp) !== '' ? timestampAge(ev.lastTimestamp, nowMs) : firstSeen(ev, nowMs);
}

function count(ev: KubeObject): number {
  if (at(ev, 'series') !== undefined && at(ev, 'series') !== null) return num(at(ev, 'series', 'count'));
  return num(ev.count) || 1;
}

/** `pod/web-1`, or the kind alone for an object without a name. */
function objectCell(ev: KubeObject): string {
  const kind = str(at(ev, 'involvedObject', 'kind')).toLowerCase();
  const name = str(at(ev, 'involvedObject', 'name'));
  return name !== '' ? `${kind}/${name}` : kind;
}

/** `component, host`, falling back to the reporting controller and instance. */
function sourceCell(ev: KubeObject): string {
  const component = str(at(ev, 'source', 'component')) || str(ev.reportingComponent);
  const host = str(at(ev, 'source', 'host')) || str(ev.reportingInstance);
  return host === '' ? component : `${component}, ${host}`;
}

const COLUMNS: readonly TableColumn[] = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.', lastSeen),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future', (o) => str(o.type)),
  column(
    'Reason',
    'string',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    (o) => str(o.reason),
  ),
  column('Object', 'string', 'The object that this event is about.', objectCell),
  column(
    'Subobject',
    'string',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
    (o) => str(at(o, 'involvedObject', 'fieldPath')),
    1,
  ),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', sourceCell, 1),
  column('Message', 'string', 'A human-readable description of the status of this operation.', (o) => str(o.message).trim()),
  column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', firstSeen, 1),
  column('Count', 'string', 'The number of times this event has occurred.', count, 1),
  { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 1, cell: (o) => o.metadata.name ?? '' },
];

/** The fields `kubectl describe` and `kubectl events` select events by (kube's EventToSelectableFields). */
const fieldSelectors: ResourceDef['fieldSelectors'] = {
  'involvedObject.kind': (o) => str(at(o, 'involvedObject', 'kind')),
  'involvedObject.namespace': (o) => str(at(o, 'involvedObject', 'namespace')),
  'involvedObject.name': (o) => str(at(o, 'involvedObject', 'name')),
  'involvedObject.uid': (o) => str(at(o, 'involvedObject', 'uid')),
  'involvedObject.apiVersion': (o) => str(at(o, 'involvedObject', 'apiVersion')),
  'involvedObject.resourceVersion': (o) => str(at(o, 'involvedObject', 'resourceVersion')),
  'involvedObject.fieldPath': (o) => str(at(o, 'involvedObject', 'fieldPath')),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(at(o, 'source', 'component')) || str(o.reportingComponent),
  type: (o) => str(o.type),
};

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.Event',
  subresources: [],
  nameRule: 'path',
  columns: COLUMNS,
  fieldSelectors,
  validate: validateEvent,
  // kube-apiserver's --event-ttl: Events vanish an hour after their last write unless told otherwise.
  ttlSeconds: EVENT_TTL_SECONDS_DEFAULT,
};
