import type { KubeObject } from '../../../kube/object.js';
import { invalid } from '../../../kube/validation/field-errors.js';
import { isQualifiedName } from '../../../kube/validation/identifiers.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { at, child, list, setDefaultString, str } from './json.js';

/** core/v1 Namespace (kube's pkg/registry/core/namespace strategy). Namespaces keep no generation. */

/** The label every namespace carries with its own name, so selectors can pick namespaces by name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function defaultNamespace(ns: KubeObject): void {
  const name = ns.metadata.name;
  if (name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
  setDefaultString(child(ns, 'status'), 'phase', 'Active');
}

/** A new namespace is Active and carries the `kubernetes` finalizer the namespace controller removes. */
function prepareForCreate(ns: KubeObject): void {
  ns.status = { phase: 'Active' };
  const spec = child(ns, 'spec');
  const finalizers = list(spec.finalizers);
  if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
  defaultNamespace(ns);
}

const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];

/** A spec finalizer is a standard one (`kubernetes`) or a qualified name with a domain prefix (kube's validateFinalizerName). */
function validateNamespace(ns: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  list(at(ns, 'spec', 'finalizers')).forEach((f, i) => {
    const name = str(f);
    const path = `spec.finalizers[${i}]`;
    const msgs = isQualifiedName(name);
    for (const msg of msgs) causes.push(invalid(path, name, msg));
    if (msgs.length === 0 && !name.includes('/') && !STANDARD_FINALIZERS.includes(name)) {
      causes.push(invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return causes;
}

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.Namespace',
  subresources: ['status'],
  nameRule: 'label',
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace', (o) => str(at(o, 'status', 'phase'))), ageColumn()],
  fieldSelectors: { 'status.phase': (o) => str(at(o, 'status', 'phase')) },
  defaults: defaultNamespace,
  prepareForCreate,
  validate: validateNamespace,
};
