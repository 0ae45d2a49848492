import t from 'tap';
import { MemoryAuditSink } from '../../../../apiserver/audit/audit-log.js';
import { DEFAULT_AUDIT_POLICY, parseAuditPolicy } from '../../../../apiserver/audit/audit-policy.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

/** A clock that moves 5 ms each time it is read: requests take a known time. */
function steppingClock(startMs: number): () => number {
  let now = startMs;
  return () => {
    now += 5;
    return now;
  };
}

const CM = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } };

t.test('a request produces one audit event with who, what, where, the code and the timestamps', async (t) => {
  const sink = new MemoryAuditSink();
  const h = await startApiserver(t, { audit: { policy: DEFAULT_AUDIT_POLICY, sink }, nowMs: steppingClock(Date.UTC(2026, 10, 27, 10, 0, 0)) });
  const res = await h.request('POST', '/api/v1/namespaces/default/configmaps', CM, { 'user-agent': 'kubectl/v1.31.0' });
  t.equal(res.status, 201);
  const events = sink.events.filter((e) => (e as { requestURI?: string }).requestURI === '/api/v1/namespaces/default/configmaps');
  t.equal(events.length, 1);
  const e = events[0] as Record<string, unknown>;
  t.match(e, {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    stage: 'ResponseComplete',
    verb: 'create',
    user: { username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['127.0.0.1'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: { resource: 'configmaps', namespace: 'default', apiGroup: '', apiVersion: 'v1' },
    responseStatus: { code: 201 },
  });
  t.equal(res.headers['audit-id'], e.auditID, 'the Audit-Id header names the event');
  t.match(e.requestReceivedTimestamp, /^2026-11-27T10:00:00\.\d{6}Z$/);
  const latencyMs = Date.parse(String(e.stageTimestamp)) - Date.parse(String(e.requestReceivedTimestamp));
  t.ok(latencyMs > 0, 'the stage timestamp comes after receipt: the latency');
  t.notOk('requestObject' in e, 'Metadata leaves the body out');
});

t.test('refused and failed requests are audited with their code and object', async (t) => {
  const sink = new MemoryAuditSink();
  const h = await startApiserver(t, { audit: { policy: DEFAULT_AUDIT_POLICY, sink } });
  await h.request('GET', '/api/v1/namespaces/default/configmaps/absent');
  const e = sink.events.find((x) => (x as { requestURI?: string }).requestURI === '/api/v1/namespaces/default/configmaps/absent') as Record<string, unknown>;
  t.match(e, { verb: 'get', objectRef: { resource: 'configmaps', name: 'absent' }, responseStatus: { code: 404 } });
});

t.test('Request level includes the request body; None logs nothing', async (t) => {
  const sink = new MemoryAuditSink();
  const policy = parseAuditPolicy(`
rules:
  - level: None
    resources: [{group: "", resources: ["secrets"]}]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"]}]
  - level: None
`);
  const h = await startApiserver(t, { audit: { policy, sink } });
  await h.request('POST', '/api/v1/namespaces/default/configmaps', CM);
  await h.request('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 's' }, stringData: { k: 'v' } });
  await h.request('GET', '/healthz');
  t.equal(sink.events.length, 1, 'only the configmap create is logged');
  const e = sink.events[0] as Record<string, unknown>;
  t.equal(e.level, 'Request', 'RequestResponse is logged as Request');
  t.same(e.requestObject, CM);
});
