import type { KubeObject } from '../../../kube/object.js';
import { invalid } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { at, rec, str } from './json.js';

/**
 * coordination.k8s.io/v1 Lease: node heartbeats and leader election (kube's
 * pkg/registry/coordination/lease). Renewals write it often, so it keeps no generation.
 */

function validateLease(lease: KubeObject): FieldCause[] {
  const spec = rec(lease.spec);
  const causes: FieldCause[] = [];
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) causes.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = spec.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) causes.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  return causes;
}

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  shortNames: [],
  categories: [],
  schemaName: 'io.k8s.api.coordination.v1.Lease',
  subresources: [],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.', (o) => str(at(o, 'spec', 'holderIdentity'))),
    ageColumn(),
  ],
  validate: validateLease,
};
