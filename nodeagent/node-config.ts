import { isQualifiedName, isValidLabelValue } from '../kube/validation/identifiers.js';

/**
 * What one node agent says about its node, and the parsing of the flags that set it
 * (`--labels k=v,...`, `--taints k=v:NoSchedule,...`, `--cpu 4`, `--memory 8Gi`). Pure: parse
 * errors are thrown as `NodeConfigError` with a message fit for the command line.
 */

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeConfig {
  readonly name: string;
  /** Quantities as Kubernetes writes them: `4`, `8Gi`, `110`. */
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  readonly ephemeralStorage: string;
  /** Extra labels, on top of the kubernetes.io/* ones every node gets. */
  readonly labels: Readonly<Record<string, string>>;
  /** Taints the node registers with (kubelet's --register-with-taints); later changes by users are kept. */
  readonly taints: readonly Taint[];
  readonly runtime: 'simulated' | 'process';
  /** The node's InternalIP: where the apiserver reaches its log server. */
  readonly hostIP: string;
  /** The log server port, published as `status.daemonEndpoints.kubeletEndpoint.Port`. */
  readonly port: number;
  readonly podCIDR: string;
  /** Go's GOARCH spelling: `amd64`, `arm64`. */
  readonly arch: string;
  readonly kernelVersion: string;
  readonly osImage: string;
}

export class NodeConfigError extends Error {
  override readonly name = 'NodeConfigError';
}

const QUANTITY = /^([+]?[0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/** A Kubernetes quantity (`4`, `500m`, `8Gi`, `1e3`), checked and returned as given. */
export function parseQuantity(flag: string, text: string): string {
  const t = text.trim();
  if (!QUANTITY.test(t)) throw new NodeConfigError(`${flag}: ${JSON.stringify(text)} is not a quantity (like 4, 500m, 8Gi)`);
  return t;
}

/** `k=v,k2=v2` (a label without `=` has the empty value). */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    const problems = [...isQualifiedName(key), ...isValidLabelValue(value)];
    if (problems.length > 0) throw new NodeConfigError(`--labels: ${JSON.stringify(item)}: ${problems.join('; ')}`);
    out[key] = value;
  }
  return out;
}

/** `key=value:Effect` or `key:Effect`, comma-separated (kubelet's --register-with-taints syntax). */
export function parseTaints(text: string): Taint[] {
  const out: Taint[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    if (colon < 0) throw new NodeConfigError(`--taints: ${JSON.stringify(item)}: expected key=value:Effect`);
    const effect = item.slice(colon + 1);
    if (effect !== 'NoSchedule' && effect !== 'PreferNoSchedule' && effect !== 'NoExecute') {
      throw new NodeConfigError(`--taints: ${JSON.stringify(item)}: the effect must be NoSchedule, PreferNoSchedule or NoExecute`);
    }
    const kv = item.slice(0, colon);
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const value = eq < 0 ? undefined : kv.slice(eq + 1);
    const problems = [...isQualifiedName(key), ...(value !== undefined ? isValidLabelValue(value) : [])];
    if (problems.length > 0) throw new NodeConfigError(`--taints: ${JSON.stringify(item)}: ${problems.join('; ')}`);
    if (out.some((t) => t.key === key && t.effect === effect)) throw new NodeConfigError(`--taints: ${key}:${effect} is given twice`);
    out.push({ key, ...(value !== undefined ? { value } : {}), effect });
  }
  return out;
}

/** Node's `process.arch` in Go's spelling. */
export function goArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}
