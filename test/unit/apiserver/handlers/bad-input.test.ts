import t from 'tap';
import { pod, startApiserver } from '../../../helpers/apiserver-harness.js';

const PODS = '/api/v1/namespaces/default/pods';

/** Each case: a bad request, the Status code and reason it gets, and nothing written. */
const cases: { name: string; method: string; url: string; body: unknown; headers?: Record<string, string>; code: number; reason: string; message?: RegExp }[] =
  [
    { name: 'malformed JSON', method: 'POST', url: PODS, body: '{"kind": "Pod", ', code: 400, reason: 'BadRequest', message: /not valid JSON/ },
    {
      name: 'malformed YAML',
      method: 'POST',
      url: PODS,
      body: 'kind: [Pod',
      headers: { 'content-type': 'application/yaml' },
      code: 400,
      reason: 'BadRequest',
      message: /not valid YAML/,
    },
    { name: 'a JSON array instead of an object', method: 'POST', url: PODS, body: '[1,2]', code: 400, reason: 'BadRequest' },
    { name: 'an unknown resource', method: 'GET', url: '/api/v1/namespaces/default/widgets', body: undefined, code: 404, reason: 'NotFound' },
    { name: 'an unknown version', method: 'GET', url: '/apis/apps/v9/deployments', body: undefined, code: 404, reason: 'NotFound' },
    { name: 'an unknown path', method: 'GET', url: '/nothing/here', body: undefined, code: 404, reason: 'NotFound' },
    { name: 'the wrong kind in the body', method: 'POST', url: PODS, body: { ...pod('x'), kind: 'Service' }, code: 400, reason: 'BadRequest' },
    {
      name: 'the wrong apiVersion in the body',
      method: 'POST',
      url: PODS,
      body: { ...pod('x'), apiVersion: 'apps/v1' },
      code: 400,
      reason: 'BadRequest',
      message: /API version/,
    },
    {
      name: 'a name that is not DNS-1123',
      method: 'POST',
      url: PODS,
      body: pod('Bad_Name'),
      code: 422,
      reason: 'Invalid',
      message: /metadata.name: Invalid value: "Bad_Name"/,
    },
    {
      name: 'a namespace in the body that differs from the path',
      method: 'POST',
      url: PODS,
      body: { ...pod('x'), metadata: { name: 'x', namespace: 'other' } },
      code: 400,
      reason: 'BadRequest',
      message: /does not match the namespace/,
    },
    {
      name: 'a pod without containers',
      method: 'POST',
      url: PODS,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: {} },
      code: 422,
      reason: 'Invalid',
      message: /spec.containers: Required value/,
    },
    {
      name: 'a label value that is too long',
      method: 'POST',
      url: PODS,
      body: pod('x', { a: 'v'.repeat(64) }),
      code: 422,
      reason: 'Invalid',
      message: /metadata.labels/,
    },
    {
      name: 'an unknown field with fieldValidation=Strict',
      method: 'POST',
      url: `${PODS}?fieldValidation=Strict`,
      body: { ...pod('x'), spec: { containers: [{ name: 'a', image: 'b' }], bogusField: 1 } },
      code: 400,
      reason: 'BadRequest',
      message: /strict decoding error: unknown field "spec.bogusField"/,
    },
    {
      name: 'a bad label selector',
      method: 'GET',
      url: `${PODS}?labelSelector=${encodeURIComponent('a in (b')}`,
      body: undefined,
      code: 400,
      reason: 'BadRequest',
    },
    { name: 'a bad limit', method: 'GET', url: `${PODS}?limit=lots`, body: undefined, code: 400, reason: 'BadRequest' },
    { name: 'a garbled continue token', method: 'GET', url: `${PODS}?limit=1&continue=%%%`, body: undefined, code: 400, reason: 'BadRequest' },
    { name: 'an unsupported dryRun value', method: 'POST', url: `${PODS}?dryRun=Some`, body: pod('x'), code: 400, reason: 'BadRequest' },
    {
      name: 'a protobuf body that is garbage',
      method: 'POST',
      url: PODS,
      body: Buffer.from('not protobuf'),
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      code: 400,
      reason: 'BadRequest',
    },
    {
      name: 'an unknown content type',
      method: 'POST',
      url: PODS,
      body: 'x',
      headers: { 'content-type': 'text/csv' },
      code: 415,
      reason: 'UnsupportedMediaType',
    },
    { name: 'POST to a named object', method: 'POST', url: `${PODS}/x`, body: pod('x'), code: 405, reason: 'MethodNotAllowed' },
  ];

t.test('bad input gets a clean Status and writes nothing', async (t) => {
  const { request, store } = await startApiserver(t);
  const before = (await store.range('/registry/', { prefix: true })).revision;
  for (const c of cases) {
    const res = await request(c.method, c.url, c.body, c.headers);
    t.equal(res.status, c.code, `${c.name}: ${c.code}`);
    t.match(res.json, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: c.reason, code: c.code }, `${c.name}: a Status with reason ${c.reason}`);
    if (c.message) t.match(res.json?.message, c.message, `${c.name}: message`);
  }
  const after = (await store.range('/registry/', { prefix: true })).revision;
  t.equal(after, before, 'no write happened');
});

t.test('a body over 3 MiB is 413 with a Status', async (t) => {
  const { request } = await startApiserver(t);
  const big = { ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } } };
  const res = await request('POST', PODS, big);
  t.equal(res.status, 413);
  t.match(res.json, { kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
});

t.test('an unknown field with fieldValidation=Warn is dropped with a warning header', async (t) => {
  const { request } = await startApiserver(t);
  const res = await request('POST', `${PODS}?fieldValidation=Warn`, { ...pod('x'), spec: { containers: [{ name: 'a', image: 'b' }], bogusField: 1 } });
  t.equal(res.status, 201);
  t.match(String(res.headers.warning), /299 - "unknown field \\"spec.bogusField\\""/);
  t.notOk('bogusField' in res.json.spec, 'the unknown field is not stored');
});

t.test('YAML bodies are accepted like JSON', async (t) => {
  const { request } = await startApiserver(t);
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: a\n    image: busybox\n';
  const res = await request('POST', PODS, yaml, { 'content-type': 'application/yaml' });
  t.equal(res.status, 201);
  t.equal(res.json.metadata.name, 'from-yaml');
});
