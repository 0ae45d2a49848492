import type { KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, required, tooLong } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { isConfigMapKey } from './formats.js';
import { list, rec, semanticEqual, str } from './json.js';

/** core/v1 ConfigMap, Secret and ServiceAccount (kube's pkg/registry/core/{configmap,secret,serviceaccount}). */

/** Upstream's MaxSecretSize, which bounds ConfigMaps too: 1 MiB of data. */
const MAX_DATA_BYTES = 1024 * 1024;

function validateKeys(map: unknown, path: string): FieldCause[] {
  return Object.keys(rec(map)).flatMap((key) => isConfigMapKey(key).map((msg) => invalid(`${path}[${key}]`, key, msg)));
}

/** Once `immutable: true`, neither the data nor the flag may change (kube's ValidateConfigMapUpdate/ValidateSecretUpdate). */
function immutableData(obj: KubeObject, old: KubeObject | undefined, dataFields: readonly string[]): FieldCause[] {
  if (old?.immutable !== true) return [];
  const causes: FieldCause[] = [];
  if (obj.immutable !== true) causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const field of dataFields) {
    if (!semanticEqual(obj[field], old[field])) causes.push(forbidden(field, 'field is immutable when `immutable` is set'));
  }
  return causes;
}

function validateConfigMap(cm: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes = [...validateKeys(cm.data, 'data'), ...validateKeys(cm.binaryData, 'binaryData')];
  let totalBytes = 0;
  for (const [key, value] of Object.entries(rec(cm.data))) {
    totalBytes += Buffer.byteLength(str(value));
    if (typeof value !== 'string') causes.push(invalid(`data[${key}]`, value, 'must be a string'));
  }
  for (const [key, value] of Object.entries(rec(cm.binaryData))) {
    if (Object.hasOwn(rec(cm.data), key)) causes.push(invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
    totalBytes += Buffer.from(str(value), 'base64').length;
  }
  if (totalBytes > MAX_DATA_BYTES) causes.push(tooLong('', MAX_DATA_BYTES));
  causes.push(...immutableData(cm, old, ['data', 'binaryData']));
  return causes;
}

export const configMaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.ConfigMap',
  subresources: [],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    column('Data', 'string', 'Data contains the configuration data.', (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length),
    ageColumn(),
  ],
  validate: validateConfigMap,
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What a secret of each well-known type must carry in `data`. */
const REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.key', 'tls.crt'],
};

/** `stringData` is write-only: merged into `data` (base64), winning over it, then dropped. */
function defaultSecret(secret: KubeObject): void {
  if (secret.type === undefined || secret.type === null || secret.type === '') secret.type = 'Opaque';
  const stringData = rec(secret.stringData);
  if (secret.stringData !== undefined) {
    const data = { ...rec(secret.data) };
    for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(str(value), 'utf8').toString('base64');
    if (Object.keys(data).length > 0) secret.data = data;
    delete secret.stringData;
  }
}

function validateSecret(secret: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes = validateKeys(secret.data, 'data');
  const data = rec(secret.data);
  let totalBytes = 0;
  for (const [key, value] of Object.entries(data)) {
    // Go's decoder skips line breaks inside base64 text.
    const text = typeof value === 'string' ? value.replace(/[\r\n]/g, '') : undefined;
    if (text === undefined || !BASE64.test(text)) {
      // The bytes are secret: upstream never echoes them back.
      causes.push({ reason: 'FieldValueInvalid', field: `data[${key}]`, message: 'Invalid value: <secret contents redacted>: must be base64-encoded' });
    } else totalBytes += Buffer.from(text, 'base64').length;
  }
  if (totalBytes > MAX_DATA_BYTES) causes.push(tooLong('data', MAX_DATA_BYTES));
  const type = str(secret.type);
  for (const key of REQUIRED_KEYS[type] ?? []) if (!Object.hasOwn(data, key)) causes.push(required(`data[${key}]`));
  if (type === 'kubernetes.io/basic-auth' && !Object.hasOwn(data, 'username') && !Object.hasOwn(data, 'password')) {
    causes.push(required('data[username]'), required('data[password]'));
  }
  if (type === 'kubernetes.io/service-account-token' && str(secret.metadata.annotations?.['kubernetes.io/service-account.name']) === '') {
    causes.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (old && str(old.type) !== type) causes.push(invalid('type', type, 'field is immutable'));
  causes.push(...immutableData(secret, old, ['data']));
  return causes;
}

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  shortNames: [],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.Secret',
  subresources: [],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.', (o) => str(o.type)),
    column('Data', 'string', 'Data contains the secret data.', (o) => Object.keys(rec(o.data)).length),
    ageColumn(),
  ],
  fieldSelectors: { type: (o) => str(o.type) },
  defaults: defaultSecret,
  validate: validateSecret,
};

export const serviceAccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.ServiceAccount',
  subresources: [],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      (o) => list(o.secrets).length,
    ),
    ageColumn(),
  ],
};
