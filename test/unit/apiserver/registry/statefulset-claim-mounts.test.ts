import t from 'tap';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

function statefulSet(mount: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web' },
    spec: {
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'main', image: 'nginx', volumeMounts: [{ name: mount, mountPath: '/data' }] }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

t.test('a StatefulSet container may mount a volumeClaimTemplate by its name; an unknown volume is still refused', async (t) => {
  const h = await startApiserver(t);
  const ok = await h.request('POST', '/apis/apps/v1/namespaces/default/statefulsets', statefulSet('www'));
  t.equal(ok.status, 201, ok.text);
  t.same(ok.json.spec.template.spec.volumes, undefined, 'the stored template is not changed');
  const bad = await h.request('POST', '/apis/apps/v1/namespaces/default/statefulsets', { ...statefulSet('nope'), metadata: { name: 'bad' } });
  t.equal(bad.status, 422);
  t.match(bad.json.message, /volumeMounts\[0\]\.name: Not found: "nope"/);
});
