/**
 * Request bodies captured from the machine's kubectl (v1.32.4) POSTing to a fake apiserver on
 * 127.0.0.1 (--validate=false, KUBECACHEDIR in a temp dir), with the JSON the same kubectl prints for
 * the same command with --dry-run=client -o json: what a JSON body would have carried.
 * The secret's file blob.dat held the bytes 00 01 02 ff fe 20 62 69 6e 61 72 79.
 */
export interface KubectlBody {
  readonly command: string;
  readonly path: string;
  /** The POST body, Content-Type application/vnd.kubernetes.protobuf, base64. */
  readonly base64: string;
  readonly json: unknown;
}

export const KUBECTL_BODIES: readonly KubectlBody[] = [
  {
    command: 'kubectl create namespace dev',
    path: '/api/v1/namespaces',
    base64: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDZGV2EgAaACIAKgAyADgAQgASABoCCgAaACIA',
    json: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'dev', creationTimestamp: null }, spec: {}, status: {} },
  },
  {
    command: 'kubectl create configmap c --from-literal=a=b',
    path: '/api/v1/namespaces/default/configmaps',
    base64: 'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEhsKEQoBYxIAGgAiACoAMgA4AEIAEgYKAWESAWIaACIA',
    json: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', creationTimestamp: null }, data: { a: 'b' } },
  },
  {
    command: 'kubectl create deployment web --image=nginx --port=80',
    path: '/apis/apps/v1/namespaces/default/deployments',
    base64:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErgBCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEoYBCAESDAoKCgNhcHASA3dlYhpsChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEkwSLgoFbmdpbngSBW5naW54KgAyCgoAEAAYUCIAKgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
    json: {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    command: 'kubectl create secret generic s --from-literal=user=admin --from-file=blob=bin.dat',
    path: '/api/v1/namespaces/default/secrets',
    base64: 'azhzAAoMCgJ2MRIGU2VjcmV0EjoKEQoBcxIAGgAiACoAMgA4AEIAEhQKBGJsb2ISDAABAv/+IGJpbmFyeRINCgR1c2VyEgVhZG1pbhoAGgAiAA==',
    json: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null }, data: { blob: 'AAEC//4gYmluYXJ5', user: 'YWRtaW4=' } },
  },
  {
    command: 'kubectl create service clusterip web --tcp=80:8080',
    path: '/api/v1/namespaces/default/services',
    base64:
      'azhzAAoNCgJ2MRIHU2VydmljZRJpCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEkIKGwoHODAtODA4MBIDVENQGFAiBwgAEJA/GgAoABIKCgNhcHASA3dlYhoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==',
    json: {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
      status: { loadBalancer: {} },
    },
  },
  {
    command: 'kubectl create serviceaccount robot',
    path: '/api/v1/namespaces/default/serviceaccounts',
    base64: 'azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSFwoVCgVyb2JvdBIAGgAiACoAMgA4AEIAGgAiAA==',
    json: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'robot', creationTimestamp: null } },
  },
  {
    command: 'kubectl create job once --image=busybox -- echo hi',
    path: '/apis/batch/v1/namespaces/default/jobs',
    base64:
      'azhzAAoPCghiYXRjaC92MRIDSm9iEogBChQKBG9uY2USABoAIgAqADIAOABCABJmMmQKEAoAEgAaACIAKgAyADgAQgASUBItCgRvbmNlEgdidXN5Ym94GgRlY2hvGgJoaSoAQgBqAHIAgAEAiAEAkAEAogEAGgVOZXZlcjIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAGgggACgAMAA6ABoAIgA=',
    json: {
      kind: 'Job',
      apiVersion: 'batch/v1',
      metadata: { name: 'once', creationTimestamp: null },
      spec: {
        template: {
          metadata: { creationTimestamp: null },
          spec: { containers: [{ name: 'once', image: 'busybox', command: ['echo', 'hi'], resources: {} }], restartPolicy: 'Never' },
        },
      },
      status: {},
    },
  },
  {
    command: 'kubectl create deployment api --image=nginx --replicas=0',
    path: '/apis/apps/v1/namespaces/default/deployments',
    base64:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EqsBCh8KA2FwaRIAGgAiACoAMgA4AEIAWgoKA2FwcBIDYXBpEnoIABIMCgoKA2FwcBIDYXBpGmAKHAoAEgAaACIAKgAyADgAQgBaCgoDYXBwEgNhcGkSQBIiCgVuZ2lueBIFbmdpbngqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==',
    json: {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'api', creationTimestamp: null, labels: { app: 'api' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { creationTimestamp: null, labels: { app: 'api' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
        strategy: {},
      },
      status: {},
    },
  },
];
