import type { KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { isDns1123Subdomain, isQualifiedName } from '../../../kube/validation/identifiers.js';
import { ageColumn, column, NAME_DESCRIPTION, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, child, type JsonRecord, list, rec, semanticEqual, setDefault, setDefaultString, str } from './json.js';
import { parseQuantityNanos, QUANTITY_FORMAT_ERROR, quantityText } from '../../../kube/quantity/quantity.js';
import { validateLabelSelector } from './workload-validation.js';

/**
 * core/v1 PersistentVolume and PersistentVolumeClaim, storage.k8s.io/v1 StorageClass (kube's
 * pkg/registry/core/persistentvolume{,claim} and storage/storageclass strategies).
 */

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'glusterfs',
  'hostPath',
  'iscsi',
  'local',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
];
/** Fields each common volume source needs. */
const SOURCE_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  hostPath: ['path'],
  local: ['path'],
  nfs: ['server', 'path'],
  csi: ['driver', 'volumeHandle'],
};

function validateAccessModes(modes: unknown, path: string, requiredDetail?: string): FieldCause[] {
  const all = list(modes).map(str);
  const causes: FieldCause[] = all.length === 0 ? [required(path, requiredDetail)] : [];
  for (const mode of all) if (!ACCESS_MODES.includes(mode)) causes.push(notSupported(path, mode, ACCESS_MODES));
  if (all.includes('ReadWriteOncePod') && all.some((m) => m !== 'ReadWriteOncePod'))
    causes.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return causes;
}

function positiveQuantity(q: unknown, path: string): FieldCause[] {
  const nanos = parseQuantityNanos(q);
  if (nanos === undefined) return [invalid(path, quantityText(q), QUANTITY_FORMAT_ERROR)];
  return nanos <= 0n ? [invalid(path, quantityText(q), 'must be greater than zero')] : [];
}

function validateClassName(name: unknown, path: string): FieldCause[] {
  const n = str(name);
  return n === '' ? [] : isDns1123Subdomain(n).map((msg) => invalid(path, n, msg));
}

function validatePersistentVolume(pv: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(pv.spec);
  const causes = validateAccessModes(spec.accessModes, 'spec.accessModes');
  const capacity = rec(spec.capacity);
  if (Object.keys(capacity).length === 0) causes.push(required('spec.capacity'));
  if (!Object.hasOwn(capacity, 'storage') || Object.keys(capacity).length > 1) causes.push(notSupported('spec.capacity', capacity, ['storage']));
  for (const [name, q] of Object.entries(capacity)) causes.push(...positiveQuantity(q, `spec.capacity[${name}]`));
  const policy = str(spec.persistentVolumeReclaimPolicy);
  if (policy !== '' && !['Delete', 'Recycle', 'Retain'].includes(policy))
    causes.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']));
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) causes.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) causes.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  for (const source of sources) {
    for (const field of SOURCE_REQUIRED[source] ?? []) if (str(at(spec, source, field)) === '') causes.push(required(`spec.${source}.${field}`));
  }
  if (sources.includes('local') && (spec.nodeAffinity === undefined || spec.nodeAffinity === null))
    causes.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  const mode = str(spec.volumeMode);
  if (mode !== '' && !VOLUME_MODES.includes(mode)) causes.push(notSupported('spec.volumeMode', mode, VOLUME_MODES));
  causes.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  if (old) {
    const before = rec(old.spec);
    const source = (s: JsonRecord): JsonRecord => Object.fromEntries(PV_SOURCES.map((k) => [k, s[k]]));
    if (!semanticEqual(source(spec), source(before)))
      causes.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if (!semanticEqual(spec.volumeMode, before.volumeMode)) causes.push(invalid('volumeMode', spec.volumeMode, 'field is immutable'));
    if (before.nodeAffinity !== undefined && before.nodeAffinity !== null && !semanticEqual(spec.nodeAffinity, before.nodeAffinity)) {
      causes.push(invalid('spec.nodeAffinity', spec.nodeAffinity, 'field is immutable'));
    }
  }
  return causes;
}

/** RWO,ROX,RWX,RWOP in that order (upstream's GetAccessModesAsString). */
function accessModesText(modes: unknown): string {
  const all = new Set(list(modes).map(str));
  return [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ]
    .filter(([mode]) => all.has(mode as string))
    .map(([, short]) => short)
    .join(',');
}

function phaseOrTerminating(o: KubeObject): string {
  return o.metadata.deletionTimestamp ? 'Terminating' : str(at(o, 'status', 'phase'));
}

/** The beta annotation wins over the field, as upstream's GetPersistentVolume(Claim)Class reads it. */
function storageClassOf(o: KubeObject): string {
  return o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? str(at(o, 'spec', 'storageClassName'));
}

const unset = (v: unknown): string => str(v) || '<unset>';

const PV_COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column(
    'Capacity',
    'string',
    "capacity is the description of the persistent volume's resources and capacity.",
    (o) => quantityText(at(o, 'spec', 'capacity', 'storage')) || '0',
  ),
  column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.', (o) => accessModesText(at(o, 'spec', 'accessModes'))),
  column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.', (o) =>
    str(at(o, 'spec', 'persistentVolumeReclaimPolicy')),
  ),
  column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.', phaseOrTerminating),
  column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.', (o) => {
    const ref = at(o, 'spec', 'claimRef');
    return ref === undefined || ref === null ? '' : `${str(at(ref, 'namespace'))}/${str(at(ref, 'name'))}`;
  }),
  column('StorageClass', 'string', 'StorageClass of the pv', storageClassOf),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv', (o) => unset(at(o, 'spec', 'volumeAttributesClassName'))),
  column(
    'Reason',
    'string',
    'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    (o) => str(at(o, 'status', 'reason')),
  ),
  ageColumn(),
  column(
    'VolumeMode',
    'string',
    'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
    (o) => unset(at(o, 'spec', 'volumeMode')),
    1,
  ),
];

export const persistentVolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.PersistentVolume',
  subresources: ['status'],
  nameRule: 'subdomain',
  columns: PV_COLUMNS,
  defaults: (pv) => {
    const spec = child(pv, 'spec');
    setDefaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefaultString(child(pv, 'status'), 'phase', 'Pending');
  },
  prepareForCreate: (pv) => {
    const status: JsonRecord = { phase: 'Pending' };
    // The phase changed "now": the server's creation time, set before this runs.
    if (typeof pv.metadata.creationTimestamp === 'string') status.lastPhaseTransitionTime = pv.metadata.creationTimestamp;
    pv.status = status;
  },
  validate: validatePersistentVolume,
};

function validateClaim(pvc: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(pvc.spec);
  const causes = validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  if (spec.selector !== undefined && spec.selector !== null) causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const requests = rec(at(spec, 'resources', 'requests'));
  if (!Object.hasOwn(requests, 'storage')) causes.push(required('spec.resources[storage]'));
  else causes.push(...positiveQuantity(requests.storage, 'spec.resources[storage]'));
  causes.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  const mode = str(spec.volumeMode);
  if (mode !== '' && !VOLUME_MODES.includes(mode)) causes.push(notSupported('spec.volumeMode', mode, VOLUME_MODES));
  if (!old) return causes;
  const before: JsonRecord = structuredClone(rec(old.spec));
  const after: JsonRecord = structuredClone(spec);
  // The binder sets volumeName once; a bound claim may be resized.
  if (str(before.volumeName) === '') before.volumeName = after.volumeName;
  if (at(pvc, 'status', 'phase') === 'Bound') child(child(after, 'resources'), 'requests').storage = at(before, 'resources', 'requests', 'storage');
  if (!semanticEqual(after, before)) causes.push(forbidden('spec', 'spec is immutable after creation except resources.requests for bound claims'));
  const oldSize = parseQuantityNanos(at(old, 'spec', 'resources', 'requests', 'storage'));
  const newSize = parseQuantityNanos(requests.storage);
  if (oldSize !== undefined && newSize !== undefined && newSize < oldSize) {
    causes.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return causes;
}

const PVC_COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.', phaseOrTerminating),
  column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.', (o) => str(at(o, 'spec', 'volumeName'))),
  column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.', (o) =>
    str(at(o, 'spec', 'volumeName')) === '' ? '' : quantityText(at(o, 'status', 'capacity', 'storage')) || '0',
  ),
  column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.', (o) =>
    str(at(o, 'spec', 'volumeName')) === '' ? '' : accessModesText(at(o, 'status', 'accessModes')),
  ),
  column('StorageClass', 'string', 'StorageClass of the pvc', storageClassOf),
  column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc', (o) => unset(at(o, 'spec', 'volumeAttributesClassName'))),
  ageColumn(),
  column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', (o) => unset(at(o, 'spec', 'volumeMode')), 1),
];

export const persistentVolumeClaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.PersistentVolumeClaim',
  subresources: ['status'],
  nameRule: 'subdomain',
  columns: PVC_COLUMNS,
  defaults: (pvc) => {
    setDefault(child(pvc, 'spec'), 'volumeMode', 'Filesystem');
    setDefaultString(child(pvc, 'status'), 'phase', 'Pending');
  },
  prepareForCreate: (pvc) => {
    pvc.status = { phase: 'Pending' };
    defaultStorageClass(pvc);
  },
  validate: validateClaim,
};

/** The default StorageClass every picokube cluster is bootstrapped with (kind's name), served by the controller-manager's local-path provisioner. */
export const DEFAULT_STORAGE_CLASS_NAME = 'standard';
export const LOCAL_PATH_PROVISIONER = 'picokube.io/local-path';

/**
 * kube's DefaultStorageClass admission, simplified: a claim created without a class (the field
 * absent or null, no beta annotation) gets the default class. "" means "no class" and is kept.
 * Simplification: the default is always `standard` (the class bootstrap makes), not whichever
 * class carries the is-default-class annotation at the time.
 */
function defaultStorageClass(pvc: KubeObject): void {
  if (pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
  const spec = child(pvc, 'spec');
  if (spec.storageClassName === undefined || spec.storageClassName === null) spec.storageClassName = DEFAULT_STORAGE_CLASS_NAME;
}

const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

function validateStorageClass(sc: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const provisioner = str(sc.provisioner);
  if (provisioner === '') causes.push(required('provisioner'));
  else for (const msg of isQualifiedName(provisioner.toLowerCase())) causes.push(invalid('provisioner', provisioner, msg));
  const policy = str(sc.reclaimPolicy);
  if (policy !== 'Delete' && policy !== 'Retain') causes.push(notSupported('reclaimPolicy', policy, ['Delete', 'Retain']));
  const binding = str(sc.volumeBindingMode);
  if (binding === '') causes.push(required('volumeBindingMode'));
  else if (binding !== 'Immediate' && binding !== 'WaitForFirstConsumer')
    causes.push(notSupported('volumeBindingMode', binding, ['Immediate', 'WaitForFirstConsumer']));
  if (Object.keys(rec(sc.parameters)).includes('')) causes.push(invalid('parameters', sc.parameters, 'field can not be empty.'));
  if (old) {
    if (!semanticEqual(sc.parameters, old.parameters)) causes.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (provisioner !== str(old.provisioner)) causes.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (policy !== str(old.reclaimPolicy)) causes.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (binding !== str(old.volumeBindingMode)) causes.push(invalid('volumeBindingMode', binding, 'field is immutable'));
  }
  return causes;
}

const SC_COLUMNS: readonly TableColumn[] = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: NAME_DESCRIPTION,
    priority: 0,
    cell: (o) => `${o.metadata.name ?? ''}${DEFAULT_CLASS_ANNOTATIONS.some((a) => o.metadata.annotations?.[a] === 'true') ? ' (default)' : ''}`,
  },
  column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.', (o) => str(o.provisioner)),
  column(
    'ReclaimPolicy',
    'string',
    'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.',
    (o) => str(o.reclaimPolicy) || 'Delete',
  ),
  column(
    'VolumeBindingMode',
    'string',
    'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.',
    (o) => str(o.volumeBindingMode) || 'Immediate',
  ),
  column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.', (o) => o.allowVolumeExpansion === true),
  ageColumn(),
];

export const storageClasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  categories: [],
  schemaName: 'io.k8s.api.storage.v1.StorageClass',
  subresources: [],
  nameRule: 'subdomain',
  columns: SC_COLUMNS,
  defaults: (sc) => {
    setDefaultString(sc, 'reclaimPolicy', 'Delete');
    setDefaultString(sc, 'volumeBindingMode', 'Immediate');
  },
  validate: validateStorageClass,
};
