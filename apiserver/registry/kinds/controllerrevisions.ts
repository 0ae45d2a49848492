import type { KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, required } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { semanticEqual } from './json.js';

/**
 * apps/v1 ControllerRevision: the immutable snapshots of a DaemonSet's or StatefulSet's pod
 * template that `kubectl rollout history|undo` read (kube's pkg/registry/apps/controllerrevision).
 * Only `revision` may change after create (the controllers renumber a revision they roll back to).
 */

function validateControllerRevision(rev: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const revision = rev.revision;
  if (revision === undefined) causes.push(required('revision'));
  else if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0)
    causes.push(invalid('revision', revision, 'must be greater than or equal to 0'));
  if (old && !semanticEqual(rev.data, old.data)) causes.push(forbidden('data', 'field is immutable'));
  return causes;
}

/** `daemonset.apps/web`: the controlling owner, as kubectl's printer shows it. */
function controllerOf(o: KubeObject): string {
  const owner = o.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!owner) return '<none>';
  const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
  return `${owner.kind.toLowerCase()}${group ? `.${group}` : ''}/${owner.name}`;
}

export const controllerRevisions: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  shortNames: [],
  categories: [],
  schemaName: 'io.k8s.api.apps.v1.ControllerRevision',
  subresources: [],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object', controllerOf),
    column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.', (o) =>
      typeof o.revision === 'number' ? o.revision : 0,
    ),
    ageColumn(),
  ],
  validate: validateControllerRevision,
};
