import t from 'tap';
import { StoreError } from '../../../raft/client/store-client.js';
import { alreadyExists, conflict, invalid, MODIFIED_CONFLICT, notFound, toApiError, tooLarge, unavailable } from '../../../apiserver/status.js';

const pods = { plural: 'pods', group: '', kind: 'Pod' };
const deployments = { plural: 'deployments', group: 'apps', kind: 'Deployment' };

/** Each error as kube-apiserver shapes it: kubectl prints `Error from server (<reason>): <message>`. */
const cases = [
  { name: '404 core', err: notFound(pods, 'x'), code: 404, reason: 'NotFound', message: 'pods "x" not found', details: { name: 'x', kind: 'pods' } },
  {
    name: '404 named group',
    err: notFound(deployments, 'web'),
    code: 404,
    reason: 'NotFound',
    message: 'deployments.apps "web" not found',
    details: { name: 'web', kind: 'deployments', group: 'apps' },
  },
  {
    name: '409 create',
    err: alreadyExists(pods, 'x'),
    code: 409,
    reason: 'AlreadyExists',
    message: 'pods "x" already exists',
    details: { name: 'x', kind: 'pods' },
  },
  {
    name: '409 update',
    err: conflict(pods, 'x', MODIFIED_CONFLICT),
    code: 409,
    reason: 'Conflict',
    message: 'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
    details: { name: 'x', kind: 'pods' },
  },
  {
    name: '422 one cause',
    err: invalid(pods, 'bad', [{ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }]),
    code: 422,
    reason: 'Invalid',
    message: 'Pod "bad" is invalid: spec.containers: Required value',
    details: { name: 'bad', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }] },
  },
  {
    name: '422 two causes, named group',
    err: invalid(deployments, 'web', [
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
    ]),
    code: 422,
    reason: 'Invalid',
    message: 'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]',
    details: { name: 'web', kind: 'Deployment', group: 'apps' },
  },
  {
    name: '413',
    err: tooLarge(3145728),
    code: 413,
    reason: 'RequestEntityTooLarge',
    message: 'Request entity too large: limit is 3145728',
    details: undefined,
  },
];

t.test("errors are metav1.Status objects with kube's code, reason, message and details", async (t) => {
  for (const c of cases) {
    t.match(c.err.status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: c.code, reason: c.reason, message: c.message }, c.name);
    if (c.details) t.match(c.err.status.details, c.details, `${c.name}: details`);
  }
});

t.test('store failures map to Statuses a client knows what to do with', async (t) => {
  const noLeader = toApiError(new StoreError('NoLeader', 'electing'));
  t.equal(noLeader.code, 503);
  t.equal(noLeader.headers['retry-after'], '1', 'client-go retries a 503 with Retry-After');
  const compacted = toApiError(new StoreError('Compacted', 'gone', { compactRevision: 42 }));
  t.equal(compacted.code, 410);
  t.equal(compacted.status.reason, 'Expired');
  t.equal(toApiError(new StoreError('Timeout', 'slow')).code, 504);
  t.equal(toApiError(new Error('boom')).status.reason, 'InternalError');
  t.match(toApiError(new Error('boom')).status.message, /^Internal error occurred: boom/);
  t.equal(unavailable('x').status.details?.retryAfterSeconds, 1);
});
