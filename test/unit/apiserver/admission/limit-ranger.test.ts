import t from 'tap';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

const NS = '/api/v1/namespaces/default';

function limitRange(item: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits: [{ type: 'Container', ...item }] } };
}

function podWith(name: string, resources: Record<string, unknown> | undefined): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox', ...(resources ? { resources } : {}) }] } };
}

t.test('a pod without requests or limits gets the namespace defaults, and an annotation saying so', async (t) => {
  const { request } = await startApiserver(t);
  const lr = await request('POST', `${NS}/limitranges`, limitRange({ default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }));
  t.equal(lr.status, 201);
  t.same(lr.json.spec.limits[0].defaultRequest, { cpu: '100m', memory: '256Mi' }, 'defaultRequest defaults to default, as kube does');
  const created = await request('POST', `${NS}/pods`, podWith('p', undefined));
  t.equal(created.status, 201);
  t.same(created.json.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
  t.match(
    created.json.metadata.annotations['kubernetes.io/limit-ranger'],
    /^LimitRanger plugin set: cpu limit for container main; memory limit for container main; cpu request for container main/,
  );
});

t.test('a container that sets a limit but no request gets its limit as request, not the default request', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/limitranges`, limitRange({ default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }));
  const created = await request('POST', `${NS}/pods`, podWith('p', { limits: { cpu: '300m' } }));
  t.same(created.json.spec.containers[0].resources, { limits: { cpu: '300m' }, requests: { cpu: '300m' } });
});

t.test('a limit above the max is refused with 403 and kube message', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/limitranges`, limitRange({ max: { cpu: '1' } }));
  const res = await request('POST', `${NS}/pods`, podWith('x', { limits: { cpu: '2' } }));
  t.equal(res.status, 403);
  t.equal(res.json.reason, 'Forbidden');
  t.equal(res.json.message, 'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  t.equal((await request('POST', `${NS}/pods`, podWith('y', { limits: { cpu: '1' } }))).status, 201, 'at the max is fine');
  const defaulted = await request('POST', `${NS}/pods`, podWith('z', undefined));
  t.equal(defaulted.status, 201, 'a pod without a limit gets the max as its default limit');
  t.same(defaulted.json.spec.containers[0].resources.limits, { cpu: '1' });
});

t.test('a request below the min is refused, several failures are listed together', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/limitranges`, limitRange({ min: { cpu: '200m', memory: '64Mi' }, max: { cpu: '2', memory: '1Gi' } }));
  const res = await request('POST', `${NS}/pods`, podWith('x', { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '1', memory: '512Mi' } }));
  t.equal(res.status, 403);
  t.equal(
    res.json.message,
    'pods "x" is forbidden: [minimum cpu usage per Container is 200m, but request is 100m, minimum memory usage per Container is 64Mi, but request is 32Mi]',
  );
});

t.test('a limit-to-request ratio above the maximum is refused', async (t) => {
  const { request } = await startApiserver(t);
  await request('POST', `${NS}/limitranges`, limitRange({ maxLimitRequestRatio: { cpu: '2' } }));
  const res = await request('POST', `${NS}/pods`, podWith('x', { requests: { cpu: '250m' }, limits: { cpu: '1' } }));
  t.equal(res.status, 403);
  t.equal(res.json.message, 'pods "x" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000');
});

t.test('a LimitRange whose default passes its max is invalid (422 with the field path)', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('POST', `${NS}/limitranges`, limitRange({ default: { cpu: '2' }, max: { cpu: '1' } }));
  t.equal(res.status, 422);
  t.ok(res.json.details.causes.some((c: { field: string }) => c.field === 'spec.limits[0].default[cpu]'));
});

t.test('without LimitRanges pods are left as sent', async (t) => {
  const { request } = await startApiserver(t);
  const created = await request('POST', `${NS}/pods`, podWith('p', undefined));
  t.same(created.json.spec.containers[0].resources, {});
  t.equal(created.json.metadata.annotations, undefined);
});
