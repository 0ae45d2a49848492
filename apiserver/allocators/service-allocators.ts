import { randomInt } from 'node:crypto';
import type { StoreClient } from '../../raft/client/store-client.js';
import { NodePortRange } from './node-port-allocator.js';
import type { ObjectAllocator } from './reservations.js';
import { ServiceAllocator } from './service-allocator.js';
import { ServiceIpRange } from './service-ip-allocator.js';

/** kubeadm's and kind's default service range; kube-apiserver's own default is 10.0.0.0/24. */
export const SERVICE_CLUSTER_IP_RANGE_DEFAULT = '10.96.0.0/12';
export const SERVICE_NODE_PORT_RANGE_DEFAULT = '30000-32767';

export interface ServiceAllocation {
  readonly ipRange: ServiceIpRange;
  readonly portRange: NodePortRange;
  /** For ObjectStore, by `group/plural`. */
  readonly allocators: ReadonlyMap<string, ObjectAllocator>;
}

/**
 * The apiserver's allocators from its flags; throws CidrError / PortRangeError on a bad range
 * (main.ts turns that into a usage error). Randomness is crypto's: apiservers sharing a store must
 * not pick in the same order.
 */
export function serviceAllocators(
  store: StoreClient,
  cidr = SERVICE_CLUSTER_IP_RANGE_DEFAULT,
  portRangeText = SERVICE_NODE_PORT_RANGE_DEFAULT,
): ServiceAllocation {
  const ipRange = ServiceIpRange.parse(cidr);
  const portRange = NodePortRange.parse(portRangeText);
  const allocator = new ServiceAllocator({ store, ipRange, portRange, randomInt: (n) => randomInt(n) });
  return { ipRange, portRange, allocators: new Map([['/services', allocator]]) };
}
