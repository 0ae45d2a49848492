import t from 'tap';
import { type AuditAttributes, auditLevelFor, parseAuditPolicy } from '../../../../apiserver/audit/audit-policy.js';

const POLICY = parseAuditPolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: None
    nonResourceURLs: ["/healthz", "/version", "/openapi*"]
  - level: None
    userGroups: ["system:nodes"]
    verbs: ["get", "watch"]
  - level: Request
    resources:
      - group: ""
        resources: ["secrets", "pods/status"]
  - level: RequestResponse
    resources:
      - group: apps
        resources: ["*/scale"]
  - level: Metadata
    namespaces: ["kube-system"]
  - level: Request
    verbs: ["create"]
    resources:
      - group: ""
        resources: ["configmaps"]
        resourceNames: ["special"]
  - level: Metadata
    resources:
      - group: ""
`);

const alice = { name: 'alice', groups: ['system:authenticated'] };
const res = (group: string, resource: string, extra: Partial<NonNullable<AuditAttributes['resource']>> = {}) => ({
  group,
  resource,
  subresource: '',
  namespace: 'default',
  name: 'x',
  ...extra,
});

const table: { readonly name: string; readonly attrs: AuditAttributes; readonly level: string }[] = [
  {
    name: 'a listed user is not logged',
    attrs: { user: { name: 'system:kube-proxy', groups: [] }, verb: 'list', path: '/api/v1/services', resource: res('', 'services') },
    level: 'None',
  },
  { name: 'a listed non-resource URL is not logged', attrs: { user: alice, verb: 'get', path: '/healthz' }, level: 'None' },
  { name: 'a trailing * in nonResourceURLs is a prefix', attrs: { user: alice, verb: 'get', path: '/openapi/v2' }, level: 'None' },
  {
    name: 'a node reading is not logged (group and verb match)',
    attrs: { user: { name: 'system:node:n1', groups: ['system:nodes'] }, verb: 'get', path: '/api/v1/pods', resource: res('', 'pods') },
    level: 'None',
  },
  {
    name: 'a node writing falls through to later rules',
    attrs: {
      user: { name: 'system:node:n1', groups: ['system:nodes'] },
      verb: 'update',
      path: '/api/v1/pods',
      resource: res('', 'pods', { subresource: 'status' }),
    },
    level: 'Request',
  },
  {
    name: 'secrets at Request',
    attrs: { user: alice, verb: 'create', path: '/api/v1/namespaces/default/secrets', resource: res('', 'secrets') },
    level: 'Request',
  },
  {
    name: 'a subresource matches */sub',
    attrs: { user: alice, verb: 'update', path: '/apis/apps/v1/x', resource: res('apps', 'deployments', { subresource: 'scale' }) },
    level: 'RequestResponse',
  },
  {
    name: 'namespaces match resource requests in them',
    attrs: { user: alice, verb: 'get', path: '/apis/apps/v1/x', resource: res('apps', 'deployments', { namespace: 'kube-system' }) },
    level: 'Metadata',
  },
  {
    name: 'resourceNames narrow a rule',
    attrs: { user: alice, verb: 'create', path: '/x', resource: res('', 'configmaps', { name: 'special' }) },
    level: 'Request',
  },
  {
    name: 'a group with no resources matches all of the group',
    attrs: { user: alice, verb: 'create', path: '/x', resource: res('', 'configmaps', { name: 'plain' }) },
    level: 'Metadata',
  },
  { name: 'no rule matches: None', attrs: { user: alice, verb: 'get', path: '/apis/batch/v1/jobs', resource: res('batch', 'jobs') }, level: 'None' },
  { name: 'resource rules never match non-resource requests', attrs: { user: alice, verb: 'get', path: '/metrics' }, level: 'None' },
];

for (const row of table) {
  t.test(row.name, async (t) => {
    t.equal(auditLevelFor(POLICY, row.attrs), row.level);
  });
}

t.test('a bad policy file is refused with the rule it names', async (t) => {
  t.throws(() => parseAuditPolicy('rules:\n  - level: Everything\n'), /rules\[0\]\.level must be one of None, Metadata, Request, RequestResponse/);
  t.throws(() => parseAuditPolicy('kind: Role\nrules: []\n'), /kind Role, want Policy/);
  t.throws(() => parseAuditPolicy('rules:\n  - level: None\n    users: alice\n'), /rules\[0\]\.users must be a list/);
});
