import type { KubeObject } from '../../../kube/object.js';

/** Services and pods for the endpoints, EndpointSlice and service (LB) controller tests. */

export function svc(spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
  };
}

export function pod(
  name: string,
  ip: string,
  ready: boolean,
  extra: { labels?: Record<string, string>; ports?: unknown[]; node?: string; deleting?: boolean; phase?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: extra.labels ?? { app: 'web' },
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: extra.node ?? 'node-1', containers: [{ name: 'c', image: 'x', ports: extra.ports ?? [] }] },
    status: { phase: extra.phase ?? 'Running', ...(ip ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}
