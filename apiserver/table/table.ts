import type { KubeObject } from '../../kube/object.js';
import type { ResourceDef, TableColumn } from '../registry/types.js';
import { CREATION_TIMESTAMP_DESCRIPTION, NAME_DESCRIPTION } from './columns.js';

/**
 * The `meta.k8s.io/v1` Table that `kubectl get` asks for (`Accept: application/json;as=Table;…`):
 * the kind's column definitions and one row of cells per object, each row carrying the object as
 * kubectl needs it for `--show-labels`, `-L` and the NAMESPACE column of `-A`
 * (kube-apiserver's `TableConvertor` plus the `includeObject` handling of its response writer).
 */

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumnDefinition {
  readonly name: string;
  readonly type: string;
  /** '' except `name` for the Name column (upstream always sends the field). */
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

export interface TableRow {
  readonly cells: (string | number | boolean)[];
  /** Absent for `includeObject=None`. */
  readonly object?: KubeObject;
}

export interface Table {
  readonly kind: 'Table';
  readonly apiVersion: 'meta.k8s.io/v1';
  readonly metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  readonly columnDefinitions: TableColumnDefinition[];
  readonly rows: TableRow[];
}

export interface TableOptions {
  /** The server clock, for ages. */
  readonly nowMs: number;
  /** What each row carries: nothing, a `PartialObjectMetadata` (kubectl's default), or the object. */
  readonly includeObject: IncludeObject;
  /** The list's (or the single object's) resourceVersion; `kubectl get -w` watches from it. */
  readonly resourceVersion: string;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

/** kube-apiserver's columns for a kind without a printer: the name and the raw creation time. */
export const DEFAULT_COLUMNS: readonly TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0, cell: (o) => o.metadata.name ?? '' },
  {
    name: 'Created At',
    type: 'date',
    description: CREATION_TIMESTAMP_DESCRIPTION,
    priority: 0,
    // Upstream formats the zero time for a missing timestamp.
    cell: (o) => (typeof o.metadata.creationTimestamp === 'string' ? o.metadata.creationTimestamp : '0001-01-01T00:00:00Z'),
  },
];

function definitionOf(c: TableColumn): TableColumnDefinition {
  return { name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority };
}

function rowObject(obj: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/**
 * A cell that cannot be computed (an object whose fields have unexpected types) must not fail
 * the whole list: it prints as upstream prints an unparsable value.
 */
function safeCell(column: TableColumn, obj: KubeObject, nowMs: number): string | number | boolean {
  try {
    return column.cell(obj, nowMs);
  } catch {
    return '<unknown>';
  }
}

/** The Table for `objects` (one row each, in order) with the columns of `def`. */
export function toTable(def: ResourceDef, objects: readonly KubeObject[], options: TableOptions): Table {
  const columns = def.columns ?? DEFAULT_COLUMNS;
  const metadata: Table['metadata'] = { resourceVersion: options.resourceVersion };
  if (options.continueToken) metadata.continue = options.continueToken;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  const rows = objects.map((obj): TableRow => {
    const cells = columns.map((c) => safeCell(c, obj, options.nowMs));
    const object = rowObject(obj, options.includeObject);
    return object ? { cells, object } : { cells };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: columns.map(definitionOf), rows };
}
