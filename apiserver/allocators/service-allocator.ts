import type { KubeObject } from '../../kube/object.js';
import { invalid as fieldInvalid } from '../../kube/validation/field-errors.js';
import { prefixEnd, type StoreClient } from '../../raft/client/store-client.js';
import { services } from '../registry/kinds/services.js';
import { at, type JsonRecord, list, rec, records, str } from '../registry/kinds/json.js';
import { internalError, invalid } from '../status.js';
import type { NodePortRange } from './node-port-allocator.js';
import type { Claim, ObjectAllocator, Reservations } from './reservations.js';
import type { RandomInt, ServiceIpRange } from './service-ip-allocator.js';

/**
 * Cluster IPs and node ports of Services (kube's service REST storage: `registry/core/service/
 * storage/alloc.go`). A Service of any type but ExternalName gets a cluster IP unless it is
 * headless (`clusterIP: None`); a NodePort Service, and a LoadBalancer one unless
 * `allocateLoadBalancerNodePorts: false`, gets a node port per port (ports with the same number
 * and different protocols share one, as in kube). Values the user sets are checked against the
 * range and the reservations (422 with kube's words); the rest are picked at random among free
 * ones. One store key per value: `/registry/ranges/serviceips/<ip>` and
 * `/registry/ranges/servicenodeports/<port>`.
 */

export const SERVICE_IPS_PREFIX = '/registry/ranges/serviceips/';
export const NODE_PORTS_PREFIX = '/registry/ranges/servicenodeports/';

export interface ServiceAllocatorOptions {
  readonly store: StoreClient;
  readonly ipRange: ServiceIpRange;
  readonly portRange: NodePortRange;
  readonly randomInt: RandomInt;
}

/** The cluster IP a Service holds a reservation for, if any (not headless, not ExternalName). */
export function heldClusterIP(svc: KubeObject): string | undefined {
  if (str(at(svc, 'spec', 'type')) === 'ExternalName') return undefined;
  const ip = str(at(svc, 'spec', 'clusterIP')) || str(at(svc, 'spec', 'clusterIPs', 0));
  return ip === '' || ip === 'None' ? undefined : ip;
}

/** The node ports a Service holds, deduplicated. */
export function heldNodePorts(svc: KubeObject): number[] {
  const ports = records(at(svc, 'spec', 'ports')).map(([p]) => p.nodePort);
  return [...new Set(ports.filter((p): p is number => typeof p === 'number' && p > 0))];
}

function needsNodePorts(spec: JsonRecord): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

export class ServiceAllocator implements ObjectAllocator {
  constructor(private readonly options: ServiceAllocatorOptions) {}

  async forCreate(svc: KubeObject): Promise<Reservations> {
    const claim: Claim[] = [];
    await this.allocateClusterIP(svc, undefined, claim);
    await this.allocateNodePorts(svc, [], claim);
    return { claim, release: [] };
  }

  async forUpdate(svc: KubeObject, old: KubeObject): Promise<Reservations> {
    const spec = rec(svc.spec);
    const oldSpec = rec(old.spec);
    // What kube's patchAllocatedValues does: a PUT that leaves out what was allocated keeps it.
    if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName' && str(spec.clusterIP) === '' && str(oldSpec.clusterIP) !== '') {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = structuredClone(oldSpec.clusterIPs ?? [oldSpec.clusterIP]);
    }
    if (needsNodePorts(spec) && needsNodePorts(oldSpec)) {
      const oldPorts = records(oldSpec.ports).map(([p]) => p);
      for (const [port] of records(spec.ports)) {
        if (typeof port.nodePort === 'number' && port.nodePort > 0) continue;
        const match =
          oldPorts.find((p) => p.port === port.port && str(p.protocol) === str(port.protocol)) ??
          oldPorts.find((p) => str(p.name) !== '' && p.name === port.name);
        if (typeof match?.nodePort === 'number' && match.nodePort > 0) port.nodePort = match.nodePort;
      }
    }
    const claim: Claim[] = [];
    const release: string[] = [];
    const before = heldClusterIP(old);
    await this.allocateClusterIP(svc, before, claim);
    const after = heldClusterIP(svc);
    if (before !== undefined && before !== after) release.push(SERVICE_IPS_PREFIX + before);
    const oldPorts = heldNodePorts(old);
    await this.allocateNodePorts(svc, oldPorts, claim);
    const newPorts = new Set(heldNodePorts(svc));
    for (const p of oldPorts) if (!newPorts.has(p)) release.push(NODE_PORTS_PREFIX + String(p));
    return { claim, release };
  }

  forDelete(old: KubeObject): Reservations {
    const ip = heldClusterIP(old);
    const release = [...(ip === undefined ? [] : [SERVICE_IPS_PREFIX + ip]), ...heldNodePorts(old).map((p) => NODE_PORTS_PREFIX + String(p))];
    return { claim: [], release };
  }

  /** Fills in or checks `spec.clusterIP(s)`; `held` is the IP the stored Service already holds. */
  private async allocateClusterIP(svc: KubeObject, held: string | undefined, claim: Claim[]): Promise<void> {
    const spec = rec(svc.spec);
    if (spec.type === 'ExternalName') return;
    const wanted = str(spec.clusterIP) || str(at(spec, 'clusterIPs', 0));
    if (wanted === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    if (wanted !== '' && wanted === held) return;
    const { ipRange, randomInt } = this.options;
    const taken = new Set(await this.takenKeys(SERVICE_IPS_PREFIX));
    let ip = wanted;
    if (ip === '') {
      const picked = ipRange.pick(taken, randomInt);
      if (picked === undefined) throw internalError('failed to allocate a serviceIP: range is full');
      ip = picked;
    } else if (!ipRange.contains(ip)) {
      throw this.ipError(svc, ip, `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${ipRange.cidr}`);
    } else if (taken.has(ip)) {
      throw this.ipError(svc, ip, 'provided IP is already allocated');
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    claim.push({ key: SERVICE_IPS_PREFIX + ip, value: ownerOf(svc) });
  }

  /** Fills in or checks `spec.ports[].nodePort`; `held` are the ports the stored Service already holds. */
  private async allocateNodePorts(svc: KubeObject, held: readonly number[], claim: Claim[]): Promise<void> {
    const spec = rec(svc.spec);
    const ports = records(spec.ports);
    const given = ports.filter(([p]) => typeof p.nodePort === 'number' && p.nodePort > 0);
    const missing = needsNodePorts(spec) ? ports.filter(([p]) => !(typeof p.nodePort === 'number' && p.nodePort > 0)) : [];
    if (given.length === 0 && missing.length === 0) return;
    const { portRange, randomInt } = this.options;
    const taken = new Set((await this.takenKeys(NODE_PORTS_PREFIX)).map(Number));
    const mine = new Set(held);
    const claimed = new Set<number>();
    for (const [port, i] of given) {
      const nodePort = port.nodePort as number;
      if (mine.has(nodePort) || claimed.has(nodePort)) continue;
      const field = `spec.ports[${i}].nodePort`;
      if (!portRange.contains(nodePort)) {
        throw invalid(services, svc.metadata.name ?? '', [
          fieldInvalid(field, nodePort, `provided port is not in the valid range. The range of valid ports is ${portRange.toString()}`),
        ]);
      }
      if (taken.has(nodePort)) throw invalid(services, svc.metadata.name ?? '', [fieldInvalid(field, nodePort, 'provided port is already allocated')]);
      claimed.add(nodePort);
    }
    // Ports of the same number share a node port (kube: one per service port number).
    const byPortNumber = new Map<unknown, number>();
    for (const [p] of given) byPortNumber.set(p.port, p.nodePort as number);
    for (const [port] of missing) {
      let nodePort = byPortNumber.get(port.port);
      if (nodePort === undefined) {
        nodePort = portRange.pick(new Set([...taken, ...claimed, ...mine]), randomInt);
        if (nodePort === undefined) throw internalError('failed to allocate a nodePort: range is full');
        claimed.add(nodePort);
        byPortNumber.set(port.port, nodePort);
      }
      port.nodePort = nodePort;
    }
    for (const p of claimed) claim.push({ key: NODE_PORTS_PREFIX + String(p), value: ownerOf(svc) });
  }

  private ipError(svc: KubeObject, ip: string, detail: string): Error {
    const ips = list(at(svc, 'spec', 'clusterIPs')).map(str);
    return invalid(services, svc.metadata.name ?? '', [fieldInvalid('spec.clusterIPs', ips.length > 0 ? ips : [ip], `failed to allocate IP ${ip}: ${detail}`)]);
  }

  /** The values reserved right now under a prefix (the last segment of each key). */
  private async takenKeys(prefix: string): Promise<string[]> {
    const { kvs } = await this.options.store.range(prefix, { rangeEnd: prefixEnd(prefix) ?? '\u0000', keysOnly: true });
    return kvs.map((kv) => kv.key.slice(prefix.length));
  }
}

function ownerOf(svc: KubeObject): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
}
