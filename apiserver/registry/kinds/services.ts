import type { KubeObject } from '../../../kube/object.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { isDns1123Label, isDns1123Subdomain } from '../../../kube/validation/identifiers.js';
import { validateLabels } from '../../../kube/validation/object-meta.js';
import { ageColumn, column, formatLabels, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { PROTOCOLS } from './container-validation.js';
import { isDns1035Label, isValidIP, isValidPortName, isValidPortNum } from './formats.js';
import { at, child, type JsonRecord, list, rec, records, setDefault, setDefaultString, str } from './json.js';

/**
 * core/v1 Service (kube's pkg/registry/core/service strategy and SetDefaults_Service). Cluster IPs
 * are allocated by the storage layer, not here: a Service without one prints `<none>`.
 */

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function externallyAccessible(spec: JsonRecord): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && list(spec.externalIPs).length > 0);
}

function defaultService(svc: KubeObject): void {
  const spec = child(svc, 'spec');
  setDefaultString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && typeof at(spec, 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds') !== 'number') {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefaultString(spec, 'type', 'ClusterIP');
  for (const [port] of records(spec.ports)) {
    setDefaultString(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (externallyAccessible(spec)) setDefaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (spec.type === 'ExternalName') {
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
    return;
  }
  // What the REST layer's IP family handling gives a single-stack IPv4 cluster.
  const clusterIP = str(spec.clusterIP);
  if (clusterIP !== '' && list(spec.clusterIPs).length === 0) spec.clusterIPs = [clusterIP];
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'ipFamilies', ['IPv4']);
}

function validatePorts(spec: JsonRecord): FieldCause[] {
  const causes: FieldCause[] = [];
  const ports = records(spec.ports);
  const names = new Set<string>();
  const pairs = new Set<string>();
  const nodePorts = new Set<string>();
  for (const [port, i] of ports) {
    const p = `spec.ports[${i}]`;
    const name = str(port.name);
    if (ports.length > 1 && name === '') causes.push(required(`${p}.name`));
    else if (name !== '') {
      for (const msg of isDns1123Label(name)) causes.push(invalid(`${p}.name`, name, msg));
      if (names.has(name)) causes.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
    for (const msg of isValidPortNum(port.port as number)) causes.push(invalid(`${p}.port`, port.port ?? 0, msg));
    const protocol = str(port.protocol);
    if (protocol === '') causes.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(`${p}.protocol`, protocol, PROTOCOLS));
    const target = port.targetPort;
    if (typeof target === 'string') {
      if (target === '') causes.push(required(`${p}.targetPort`));
      for (const msg of isValidPortName(target)) causes.push(invalid(`${p}.targetPort`, target, msg));
    } else for (const msg of isValidPortNum(target as number)) causes.push(invalid(`${p}.targetPort`, target ?? 0, msg));
    const key = { port: port.port, protocol: port.protocol };
    if (pairs.has(JSON.stringify(key))) causes.push(duplicate(p, key));
    pairs.add(JSON.stringify(key));
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (spec.type === 'ClusterIP') causes.push(forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      for (const msg of isValidPortNum(port.nodePort as number)) causes.push(invalid(`${p}.nodePort`, port.nodePort, msg));
      const nodeKey = `${str(port.protocol)}/${String(port.nodePort)}`;
      if (nodePorts.has(nodeKey)) causes.push(duplicate(`${p}.nodePort`, port.nodePort));
      nodePorts.add(nodeKey);
    }
  }
  return causes;
}

function validateService(svc: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = svc.metadata.name ?? '';
  // Service names are DNS-1035 labels; the generic check already reported anything that is not even a DNS-1123 label.
  if (name !== '' && isDns1123Label(name).length === 0) for (const msg of isDns1035Label(name)) causes.push(invalid('metadata.name', name, msg));
  const spec = rec(svc.spec);
  const type = str(spec.type);
  const clusterIP = str(spec.clusterIP);
  if (records(spec.ports).length === 0 && clusterIP !== 'None' && type !== 'ExternalName') causes.push(required('spec.ports'));
  if (!TYPES.includes(type)) causes.push(notSupported('spec.type', type, TYPES));
  causes.push(...validatePorts(spec));
  const affinity = str(spec.sessionAffinity);
  if (affinity !== 'ClientIP' && affinity !== 'None') causes.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  if (type === 'ExternalName') {
    if (clusterIP !== '') causes.push(invalid('spec.clusterIPs[0]', clusterIP, 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname === '') causes.push(required('spec.externalName'));
    else for (const msg of isDns1123Subdomain(cname)) causes.push(invalid('spec.externalName', cname, msg));
  } else if (clusterIP !== '' && clusterIP !== 'None' && isValidIP(clusterIP).length > 0) {
    causes.push(invalid('spec.clusterIPs[0]', clusterIP, "must be empty, 'None', or a valid IP address"));
  }
  if (spec.selector !== undefined && spec.selector !== null) causes.push(...validateLabels(rec(spec.selector), 'spec.selector'));
  if (old && type !== 'ExternalName' && at(old, 'spec', 'type') !== 'ExternalName') {
    const before = str(at(old, 'spec', 'clusterIPs', 0)) || str(at(old, 'spec', 'clusterIP'));
    const now = str(at(spec, 'clusterIPs', 0)) || clusterIP;
    if (before !== '' && now !== '' && before !== now) causes.push(invalid('spec.clusterIPs[0]', now, 'may not change once set'));
  }
  return causes;
}

/** The External-IP cell (upstream's getServiceExternalIP, wide form). */
function externalIP(svc: KubeObject): string {
  const externalIPs = list(at(svc, 'spec', 'externalIPs')).map(str);
  switch (str(at(svc, 'spec', 'type'))) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = records(at(svc, 'status', 'loadBalancer', 'ingress')).map(([i]) => str(i.ip) || str(i.hostname));
      const lb = [...new Set(ingress.filter((s) => s !== ''))];
      const all = [...lb, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(at(svc, 'spec', 'externalName'));
    default:
      return '<unknown>';
  }
}

function portsCell(svc: KubeObject): string {
  const ports = records(at(svc, 'spec', 'ports')).map(([p]) => {
    const nodePort = typeof p.nodePort === 'number' && p.nodePort > 0 ? `:${p.nodePort}` : '';
    return `${String(p.port ?? 0)}${nodePort}/${str(p.protocol)}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Type', 'string', 'type determines how the Service is exposed.', (o) => str(at(o, 'spec', 'type'))),
  column(
    'Cluster-IP',
    'string',
    'clusterIP is the IP address of the service and is usually assigned randomly.',
    (o) => str(at(o, 'spec', 'clusterIPs', 0)) || str(at(o, 'spec', 'clusterIP')) || '<none>',
  ),
  column(
    'External-IP',
    'string',
    'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    externalIP,
  ),
  column('Port(s)', 'string', 'The list of ports that are exposed by this service.', portsCell),
  ageColumn(),
  column(
    'Selector',
    'string',
    'Route service traffic to pods with label keys and values matching this selector.',
    (o) => formatLabels(at(o, 'spec', 'selector')),
    1,
  ),
];

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.Service',
  subresources: ['status'],
  nameRule: 'label',
  columns: COLUMNS,
  fieldSelectors: { 'spec.clusterIP': (o) => str(at(o, 'spec', 'clusterIP')), 'spec.type': (o) => str(at(o, 'spec', 'type')) },
  defaults: defaultService,
  prepareForCreate: (svc) => {
    svc.status = { loadBalancer: {} };
  },
  validate: validateService,
};
