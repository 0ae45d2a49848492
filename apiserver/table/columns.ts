import { formatLabelSelector } from '../../kube/labels/label-selector.js';
import type { KubeObject } from '../../kube/object.js';
import { at, list, rec, str } from '../registry/kinds/json.js';
import type { TableColumn } from '../registry/types.js';
import { timestampAge } from './human-duration.js';

/**
 * Column builders every kind's printer shares (kube-apiserver's pkg/printers/internalversion):
 * the Name and Age columns, the Containers / Images columns of kinds with a pod template, and
 * label maps printed as `k=v,…`.
 */

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** The first column of nearly every kind: the object's name, `format: name`. */
export function nameColumn(): TableColumn {
  return { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0, cell: (o) => o.metadata.name ?? '' };
}

/** Time since creation, in HumanDuration form. */
export function ageColumn(): TableColumn {
  return {
    name: 'Age',
    type: 'string',
    description: CREATION_TIMESTAMP_DESCRIPTION,
    priority: 0,
    cell: (o, nowMs) => timestampAge(o.metadata.creationTimestamp, nowMs),
  };
}

/** A plain column: `priority` 0 unless given. */
export function column(name: string, type: TableColumn['type'], description: string, cell: TableColumn['cell'], priority: 0 | 1 = 0): TableColumn {
  return { name, type, description, priority, cell };
}

/** Container names and images of a pod spec, comma-joined (upstream's `layoutContainerCells`). */
export function containerCells(podSpec: unknown): { names: string; images: string } {
  const containers = list(at(podSpec, 'containers'));
  return {
    names: containers.map((c) => str(at(c, 'name'))).join(','),
    images: containers.map((c) => str(at(c, 'image'))).join(','),
  };
}

/** The wide Containers and Images columns of a kind whose pod template is at `spec.template`. */
export function templateColumns(templateSpec: (o: KubeObject) => unknown = (o) => at(o, 'spec', 'template', 'spec')): TableColumn[] {
  return [
    column('Containers', 'string', 'Names of each container in the template.', (o) => containerCells(templateSpec(o)).names, 1),
    column('Images', 'string', 'Images referenced by each container in the template.', (o) => containerCells(templateSpec(o)).images, 1),
  ];
}

/** A label map as `labels.FormatLabels` prints it: sorted `k=v` pairs, `<none>` when empty. */
export function formatLabels(map: unknown): string {
  const entries = Object.entries(rec(map))
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** A string cell that prints `<none>` when empty, as many upstream printers do. */
export function orNone(s: string): string {
  return s === '' ? '<none>' : s;
}

/** The wide Selector cell of ReplicaSet, DaemonSet and Job (`FormatLabelSelector`): `<none>` when empty, `<error>` when invalid. */
export function selectorColumn(description: string): TableColumn {
  return column('Selector', 'string', description, (o) => formatLabelSelector(at(o, 'spec', 'selector') as never), 1);
}
