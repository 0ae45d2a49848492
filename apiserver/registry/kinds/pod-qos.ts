import { type JsonRecord, rec, records } from './json.js';
import { parseQuantityNanos } from '../../../kube/quantity/quantity.js';

/**
 * A pod's quality-of-service class (kube's ComputePodQOS), set in `status.qosClass` on create:
 * Guaranteed when every container limits both cpu and memory and requests equal limits,
 * BestEffort when no container asks for cpu or memory at all, Burstable otherwise.
 */

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = new Set(['cpu', 'memory']);

/** Adds the positive cpu/memory amounts of `list` into `sums`; the names it found. */
function addPositive(list: JsonRecord, sums: Map<string, bigint>): Set<string> {
  const found = new Set<string>();
  for (const [name, q] of Object.entries(list)) {
    const nanos = parseQuantityNanos(q);
    if (!QOS_RESOURCES.has(name) || nanos === undefined || nanos <= 0n) continue;
    found.add(name);
    sums.set(name, (sums.get(name) ?? 0n) + nanos);
  }
  return found;
}

/**
 * The class of a pod spec whose requests have been defaulted from limits (as defaulting does on
 * pods before this runs).
 */
export function podQosClass(spec: JsonRecord): QosClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const [c] of [...records(spec.containers), ...records(spec.initContainers)]) {
    const resources = rec(c.resources);
    addPositive(rec(resources.requests), requests);
    const limited = addPositive(rec(resources.limits), limits);
    if (!limited.has('cpu') || !limited.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
