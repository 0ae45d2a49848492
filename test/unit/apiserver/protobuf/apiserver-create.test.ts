import t from 'tap';
import { decodeKubernetesProtobuf } from '../../../../apiserver/protobuf/decode.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';
import { KUBECTL_BODIES } from './kubectl-bodies.js';

const PROTOBUF = { 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/vnd.kubernetes.protobuf,application/json' };

t.test("kubectl's protobuf create bodies create their objects through the apiserver", async (t) => {
  const { request } = await startApiserver(t, { protobuf: decodeKubernetesProtobuf });
  for (const body of KUBECTL_BODIES) {
    const expected = body.json as { kind: string; metadata: { name: string } };
    const res = await request('POST', `${body.path}?fieldManager=kubectl-create&fieldValidation=Strict`, Buffer.from(body.base64, 'base64'), PROTOBUF);
    t.equal(res.status, 201, `${body.command}: 201 Created (${res.json?.message ?? ''})`);
    t.match(res.json, { kind: expected.kind, metadata: { name: expected.metadata.name } }, `${body.command}: the created ${expected.kind}`);
  }
  const deployment = await request('GET', '/apis/apps/v1/namespaces/default/deployments/api');
  t.equal(deployment.json?.spec?.replicas, 0, '--replicas=0 survives as an explicit zero');
  const secret = await request('GET', '/api/v1/namespaces/default/secrets/s');
  t.equal(
    secret.json?.data?.blob,
    Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x20, 0x62, 0x69, 0x6e, 0x61, 0x72, 0x79]).toString('base64'),
    'binary secret data is stored',
  );
});

t.test('a garbage protobuf body is a 400 BadRequest that quotes the decoder', async (t) => {
  const { request } = await startApiserver(t, { protobuf: decodeKubernetesProtobuf });
  const res = await request('POST', '/api/v1/namespaces', Buffer.from('k8s\0garbage', 'latin1'), PROTOBUF);
  t.equal(res.status, 400);
  t.match(res.json, { kind: 'Status', reason: 'BadRequest', message: /protobuf envelope is malformed or truncated/ });
});
