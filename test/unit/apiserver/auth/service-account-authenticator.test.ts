import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { ServiceAccountAuthenticator, type ServiceAccountLookup } from '../../../../apiserver/auth/service-account-authenticator.js';
import { AuthenticationFailure } from '../../../../apiserver/auth/authenticator.js';
import { privateKeyFromPem, signServiceAccountToken } from '../../../../kube/auth/service-account-token.js';
import type { KubeObject } from '../../../../kube/object.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const otherKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const NOW_MS = Date.UTC(2026, 10, 27, 12);

/** A namespace with the `default` ServiceAccount and its token Secret, as the token controller leaves them. */
async function world(privatePem = keys.privateKey, expiresAtSeconds?: number) {
  const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a', uid: 'sa-uid-1' } };
  const claims = { namespace: 'team-a', serviceAccountName: 'default', serviceAccountUid: 'sa-uid-1', secretName: 'default-token-abcde' };
  const token = await signServiceAccountToken(privateKeyFromPem(privatePem), claims, expiresAtSeconds === undefined ? {} : { expiresAtSeconds });
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'default-token-abcde', namespace: 'team-a', annotations: { 'kubernetes.io/service-account.uid': 'sa-uid-1' } },
    type: 'kubernetes.io/service-account-token',
    data: { token: Buffer.from(token).toString('base64') },
  };
  const objects = { sa: sa as KubeObject | undefined, secret: secret as KubeObject | undefined };
  const lookup: ServiceAccountLookup = {
    serviceAccount: async (ns, name) => (objects.sa && ns === 'team-a' && name === 'default' ? objects.sa : undefined),
    secret: async (ns, name) => (objects.secret && ns === 'team-a' && name === 'default-token-abcde' ? objects.secret : undefined),
  };
  const authn = new ServiceAccountAuthenticator({ publicKeyPem: keys.publicKey, lookup, nowMs: () => NOW_MS });
  const request = (tok: string) => ({ headers: { authorization: `Bearer ${tok}` } });
  return { token, objects, authn, request };
}

t.test('a valid token authenticates as system:serviceaccount:NS:NAME in the service account groups', async (t) => {
  const { token, authn, request } = await world();
  const user = await authn.authenticate(request(token));
  t.same(user, { name: 'system:serviceaccount:team-a:default', uid: 'sa-uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a'] });
});

t.test('a token with a tampered signature is refused as a failed authentication (401)', async (t) => {
  const { token, authn, request } = await world();
  const [h, p, s] = token.split('.') as [string, string, string];
  const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
  await t.rejects(authn.authenticate(request(`${h}.${p}.${flipped}`)), AuthenticationFailure);
});

t.test('a token with tampered claims is refused (401)', async (t) => {
  const { token, authn, request } = await world();
  const [h, p, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, string>;
  claims['kubernetes.io/serviceaccount/namespace'] = 'kube-system';
  claims.sub = 'system:serviceaccount:kube-system:default';
  await t.rejects(authn.authenticate(request(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`)), AuthenticationFailure);
});

t.test('a token signed by an unknown key is refused (401)', async (t) => {
  const { token, authn, request } = await world(otherKeys.privateKey);
  await t.rejects(authn.authenticate(request(token)), { name: 'AuthenticationFailure', message: /invalid signature/ });
});

t.test('an expired token is refused (401)', async (t) => {
  const { token, authn, request } = await world(keys.privateKey, NOW_MS / 1000 - 60);
  await t.rejects(authn.authenticate(request(token)), { name: 'AuthenticationFailure', message: /expired/ });
});

t.test('the token of a deleted ServiceAccount is refused (401)', async (t) => {
  const { token, objects, authn, request } = await world();
  objects.sa = undefined;
  await t.rejects(authn.authenticate(request(token)), { name: 'AuthenticationFailure', message: /service account team-a\/default not found/ });
});

t.test('the token of a ServiceAccount recreated under the same name (new uid) is refused (401)', async (t) => {
  const { token, objects, authn, request } = await world();
  objects.sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a', uid: 'sa-uid-2' } };
  await t.rejects(authn.authenticate(request(token)), AuthenticationFailure);
});

t.test('a token whose Secret was deleted is refused (401)', async (t) => {
  const { token, objects, authn, request } = await world();
  objects.secret = undefined;
  await t.rejects(authn.authenticate(request(token)), { name: 'AuthenticationFailure', message: /secret team-a\/default-token-abcde/ });
});

t.test('a token that no longer matches the copy in its Secret is refused (401)', async (t) => {
  const { token, objects, authn, request } = await world();
  const again = await world();
  objects.secret = { ...(objects.secret as KubeObject), data: { token: Buffer.from(`${again.token}x`).toString('base64') } };
  await t.rejects(authn.authenticate(request(token)), { name: 'AuthenticationFailure', message: /does not match/ });
});

t.test('a JWT of another issuer, an opaque token or no Authorization header is not ours (next authenticator)', async (t) => {
  const { authn, request } = await world();
  const foreign = [
    Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url'),
    Buffer.from(JSON.stringify({ iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:team-a:default' })).toString('base64url'),
    'c2ln',
  ].join('.');
  t.equal(await authn.authenticate(request(foreign)), undefined);
  t.equal(await authn.authenticate(request('0123456789abcdef')), undefined);
  t.equal(await authn.authenticate({ headers: {} }), undefined);
  t.equal(await authn.authenticate({ headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), undefined);
});

t.test('a private key PEM is accepted as the verifying key (its public half)', async (t) => {
  const { token, objects } = await world();
  const lookup: ServiceAccountLookup = { serviceAccount: async () => objects.sa, secret: async () => objects.secret };
  const authn = new ServiceAccountAuthenticator({ publicKeyPem: [otherKeys.publicKey, keys.privateKey], lookup, nowMs: () => NOW_MS });
  t.equal((await authn.authenticate({ headers: { authorization: `bearer ${token}` } }))?.name, 'system:serviceaccount:team-a:default');
});
