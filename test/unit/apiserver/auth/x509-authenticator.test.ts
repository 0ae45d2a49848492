import t from 'tap';
import { AuthenticationFailure } from '../../../../apiserver/auth/authenticator.js';
import { X509Authenticator } from '../../../../apiserver/auth/x509-authenticator.js';
import { type SubjectName, buildCaCertificate, buildSignedCertificate, newRsaKeyPem } from '../../../../scripts/launcher/certificate-builder.js';
import { X509Certificate } from 'node:crypto';

const DAY_MS = 24 * 3600 * 1000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function ca(name: string) {
  const keyPem = newRsaKeyPem();
  return {
    keyPem,
    certPem: buildCaCertificate({ keyPem, subject: { commonName: name }, validity: { notBefore: new Date(T0), validityDays: 3650 }, serialHex: '01' }),
  };
}
const clusterCa = ca('cluster-ca');
const otherCa = ca('other-ca');
const leafKey = newRsaKeyPem();

/** What the TLS layer would hand the authenticator for a certificate. */
function presented(subject: SubjectName, opts: { by?: typeof clusterCa; usage?: 'client' | 'server'; notBefore?: number; days?: number } = {}) {
  const certPem = buildSignedCertificate({
    ca: opts.by ?? clusterCa,
    keyPem: leafKey,
    subject,
    usage: opts.usage ?? 'client',
    validity: { notBefore: new Date(opts.notBefore ?? T0), validityDays: opts.days ?? 365 },
    serialHex: '0a',
  });
  const o = subject.organizations ?? [];
  return {
    headers: {},
    clientCertificate: {
      subject: { CN: subject.commonName, ...(o.length === 0 ? {} : { O: o.length === 1 ? (o[0] as string) : o }) },
      raw: new X509Certificate(certPem).raw,
    },
  };
}

let nowMs = T0 + DAY_MS;
const auth = new X509Authenticator({ caPem: clusterCa.certPem, nowMs: () => nowMs });

t.test('a client certificate of the cluster CA is the user of its CN in the groups of its O entries', async (t) => {
  t.same(await auth.authenticate(presented({ commonName: 'kubernetes-admin', organizations: ['system:masters'] })), {
    name: 'kubernetes-admin',
    groups: ['system:masters'],
  });
  t.same(await auth.authenticate(presented({ commonName: 'jane', organizations: ['dev', 'ops'] })), { name: 'jane', groups: ['dev', 'ops'] });
  t.same(await auth.authenticate(presented({ commonName: 'system:kube-scheduler' })), { name: 'system:kube-scheduler', groups: [] });
});

t.test('no certificate, or one with an empty CN, is not this authenticator’s', async (t) => {
  t.equal(await auth.authenticate({ headers: {} }), undefined);
  t.equal(await auth.authenticate(presented({ commonName: '' })), undefined);
});

t.test('a certificate from another CA is refused', async (t) => {
  await t.rejects(
    auth.authenticate(presented({ commonName: 'mallory', organizations: ['system:masters'] }, { by: otherCa })),
    new AuthenticationFailure('x509: certificate signed by unknown authority'),
  );
});

t.test('an expired or not yet valid certificate is refused, on the clock given', async (t) => {
  const cert = presented({ commonName: 'jane' }, { days: 10 });
  nowMs = T0 + 11 * DAY_MS;
  await t.rejects(auth.authenticate(cert), /certificate has expired/);
  nowMs = T0 - DAY_MS;
  await t.rejects(auth.authenticate(cert), /not valid before/);
  nowMs = T0 + DAY_MS;
  t.ok(await auth.authenticate(cert), 'valid in between');
});

t.test('a certificate not allowed for client authentication (a serving certificate) is refused', async (t) => {
  await t.rejects(auth.authenticate(presented({ commonName: 'kube-apiserver' }, { usage: 'server' })), /incompatible key usage/);
});

t.test('garbage bytes are a failure, not a crash', async (t) => {
  await t.rejects(auth.authenticate({ headers: {}, clientCertificate: { subject: { CN: 'x' }, raw: Buffer.from('nope') } }), /cannot be parsed/);
});
