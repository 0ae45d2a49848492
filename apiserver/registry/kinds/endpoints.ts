import type { KubeObject } from '../../../kube/object.js';
import { duplicate, invalid, notSupported, required, tooMany } from '../../../kube/validation/field-errors.js';
import { isDns1123Label, isDns1123Subdomain } from '../../../kube/validation/identifiers.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { PROTOCOLS } from './container-validation.js';
import { isValidIP, isValidIPv4, isValidIPv6, isValidPortNum } from './formats.js';
import { type JsonRecord, list, records, semanticEqual, setDefault, setDefaultString, str } from './json.js';

/**
 * core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlice: the addresses behind a Service, written
 * by the endpoints controllers (kube's pkg/registry/core/endpoint and discovery/endpointslice).
 */

function validatePort(port: JsonRecord, requireName: boolean, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = str(port.name);
  if (requireName && name === '') causes.push(required(`${path}.name`));
  else if (name !== '') for (const msg of isDns1123Label(name)) causes.push(invalid(`${path}.name`, name, msg));
  for (const msg of isValidPortNum(port.port as number)) causes.push(invalid(`${path}.port`, port.port ?? 0, msg));
  const protocol = str(port.protocol);
  if (protocol === '') causes.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(`${path}.protocol`, protocol, PROTOCOLS));
  return causes;
}

function validateAddress(addr: JsonRecord, path: string): FieldCause[] {
  const causes = isValidIP(str(addr.ip)).map((msg) => invalid(`${path}.ip`, str(addr.ip), msg));
  const hostname = str(addr.hostname);
  if (hostname !== '') for (const msg of isDns1123Label(hostname)) causes.push(invalid(`${path}.hostname`, hostname, msg));
  const nodeName = str(addr.nodeName);
  if (nodeName !== '') for (const msg of isDns1123Subdomain(nodeName)) causes.push(invalid(`${path}.nodeName`, nodeName, msg));
  return causes;
}

function validateEndpoints(ep: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [subset, i] of records(ep.subsets)) {
    const p = `subsets[${i}]`;
    if (list(subset.addresses).length === 0 && list(subset.notReadyAddresses).length === 0) {
      causes.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const field of ['addresses', 'notReadyAddresses']) {
      for (const [addr, j] of records(subset[field])) causes.push(...validateAddress(addr, `${p}.${field}[${j}]`));
    }
    const ports = records(subset.ports);
    for (const [port, j] of ports) causes.push(...validatePort(port, ports.length > 1, `${p}.ports[${j}]`));
  }
  return causes;
}

/** `10.0.0.1:80,10.0.0.2:80 + 3 more...` (upstream's formatEndpoints, at most three shown). */
function endpointsCell(ep: KubeObject): string {
  const subsets = records(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  for (const [subset] of subsets) {
    const ips = records(subset.addresses).map(([a]) => str(a.ip));
    const ports = records(subset.ports);
    const entries = ports.length === 0 ? ips : ports.flatMap(([port]) => ips.map((ip) => `${ip.includes(':') ? `[${ip}]` : ip}:${String(port.port)}`));
    count += entries.length;
    for (const e of entries) if (shown.length < 3) shown.push(e);
  }
  return count > 3 ? `${shown.join(',')} + ${count - 3} more...` : shown.join(',');
}

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.Endpoints',
  subresources: [],
  nameRule: 'subdomain',
  columns: [nameColumn(), column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.', endpointsCell), ageColumn()],
  defaults: (ep) => {
    for (const [subset] of records(ep.subsets)) for (const [port] of records(subset.ports)) setDefaultString(port, 'protocol', 'TCP');
  },
  validate: validateEndpoints,
};

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;

function validateSliceAddress(type: string, address: string, path: string): FieldCause[] {
  const check = type === 'IPv4' ? isValidIPv4 : type === 'IPv6' ? isValidIPv6 : type === 'FQDN' ? isDns1123Subdomain : undefined;
  return check ? check(address).map((msg) => invalid(path, address, msg)) : [];
}

function validateEndpointSlice(slice: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const type = str(slice.addressType);
  const eps = records(slice.endpoints);
  if (eps.length > MAX_ENDPOINTS) causes.push(tooMany('endpoints', eps.length, MAX_ENDPOINTS));
  for (const [ep, i] of eps) {
    const p = `endpoints[${i}].addresses`;
    const addresses = list(ep.addresses);
    if (addresses.length === 0) causes.push(required(p, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) causes.push(tooMany(p, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      causes.push(...validateSliceAddress(type, str(a), `${p}[${j}]`));
    });
    const hostname = str(ep.hostname);
    if (hostname !== '') for (const msg of isDns1123Label(hostname)) causes.push(invalid(`endpoints[${i}].hostname`, hostname, msg));
  }
  const names = new Set<string>();
  for (const [port, i] of records(slice.ports)) {
    const p = `ports[${i}]`;
    const name = str(port.name);
    if (name !== '') for (const msg of isDns1123Label(name)) causes.push(invalid(`${p}.name`, name, msg));
    if (names.has(name)) causes.push(duplicate(`${p}.name`, name));
    names.add(name);
    const protocol = str(port.protocol);
    if (protocol === '') causes.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(`${p}.protocol`, protocol, PROTOCOLS));
  }
  if (!old) {
    if (type === '') causes.push(required('addressType'));
    else if (!ADDRESS_TYPES.includes(type)) causes.push(notSupported('addressType', type, ADDRESS_TYPES));
  } else if (!semanticEqual(slice.addressType, old.addressType)) {
    causes.push(invalid('addressType', slice.addressType, 'field is immutable'));
  }
  return causes;
}

/** Up to three items, then `+ N more...`; `<unset>` when there are none (upstream's listWithMoreString). */
function listWithMore(items: string[]): string {
  if (items.length === 0) return '<unset>';
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

const SLICE_COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.', (o) => str(o.addressType)),
  column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.', (o) =>
    listWithMore(records(o.ports).map(([p]) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'))),
  ),
  column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.', (o) =>
    listWithMore(records(o.endpoints).flatMap(([e]) => list(e.addresses).map(str))),
  ),
  ageColumn(),
];

export const endpointSlices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  shortNames: [],
  categories: [],
  schemaName: 'io.k8s.api.discovery.v1.EndpointSlice',
  subresources: [],
  nameRule: 'subdomain',
  columns: SLICE_COLUMNS,
  // EndpointSlices have no spec; a change to what they carry bumps the generation.
  specFields: ['addressType', 'endpoints', 'ports'],
  defaults: (slice) => {
    for (const [port] of records(slice.ports)) {
      setDefault(port, 'name', '');
      setDefault(port, 'protocol', 'TCP');
    }
  },
  validate: validateEndpointSlice,
};
