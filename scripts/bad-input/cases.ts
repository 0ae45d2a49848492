/**
 * The bad-input campaign's requests: each a malformed or hostile request that the apiserver must
 * refuse with a well-formed 4xx Status, without writing anything. Built from a seeded generator,
 * so one seed gives the same campaign twice.
 *
 * A few categories hold requests kube itself accepts (unknown query parameters are ignored, as
 * kube-apiserver ignores them); those are `tolerated`: any well-formed answer below 500 that
 * writes nothing passes.
 */

export type Category =
  | 'broken-json'
  | 'broken-yaml'
  | 'wrong-kind'
  | 'oversized'
  | 'deep-nesting'
  | 'invalid-name'
  | 'path-traversal'
  | 'bad-selector'
  | 'bad-patch'
  | 'bad-query'
  | 'unknown-query'
  | 'bad-headers'
  | 'bad-method';

export interface BadRequest {
  readonly category: Category;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** `refused`: must be a 4xx Status; `tolerated`: any answer under 500 (kube accepts some of these). */
  readonly expect: 'refused' | 'tolerated';
}

/** Names the campaign may read and patch; the test creates them first. */
export interface Targets {
  readonly namespace: string;
  readonly pod: string;
  readonly configMap: string;
}

/** mulberry32: small, seedable, good enough to vary a campaign. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
const JSON_TYPE = { 'content-type': 'application/json' };

function validPod(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

function brokenJson(rng: Rng, t: Targets): BadRequest {
  const text = JSON.stringify(validPod(`bad-${Math.floor(rng() * 1e6)}`));
  const variants: (() => string | Buffer)[] = [
    () => text.slice(0, 1 + Math.floor(rng() * (text.length - 2))),
    () => text.replace('"kind"', 'kind'),
    () => `${text},`,
    () => text.replaceAll('"', "'"),
    () => randomBytes(rng, 1 + Math.floor(rng() * 200)),
    () => '\u0000\u0001\u0002',
    () => '[1,2,3]',
    () => 'null',
    () => '"just a string"',
    () => '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i"}]}}}}',
    () => Buffer.from([0xff, 0xfe, 0x7b, 0x22]),
  ];
  const body = pick(rng, variants)();
  return {
    category: 'broken-json',
    method: pick(rng, ['POST', 'PUT']),
    path: podPath(t, 'POST'),
    headers: JSON_TYPE,
    body: Buffer.from(body),
    expect: 'refused',
  };
}

function podPath(t: Targets, method: string, name = t.pod): string {
  return method === 'POST' ? `/api/v1/namespaces/${t.namespace}/pods` : `/api/v1/namespaces/${t.namespace}/pods/${name}`;
}

function brokenYaml(rng: Rng, t: Targets): BadRequest {
  const variants = [
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n',
    'apiVersion: v1\n\tkind: Pod\n',
    'a: &x [*x, *x]\n',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: ]\n',
    '- just\n- a\n- list\n',
    'key: "unterminated\n',
    `${'a: '.repeat(50)}b\n`,
    '%YAML 9.9\n---\nfoo: bar\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: !!binary not-base64\n',
  ];
  return {
    category: 'broken-yaml',
    method: 'POST',
    path: `/api/v1/namespaces/${t.namespace}/configmaps`,
    headers: { 'content-type': pick(rng, ['application/yaml', 'application/x-yaml', 'text/yaml']) },
    body: Buffer.from(pick(rng, variants)),
    expect: 'refused',
  };
}

function wrongKind(rng: Rng, t: Targets): BadRequest {
  const n = Math.floor(rng() * 1e6);
  const bodies: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${n}` }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: `p-${n}` } },
    { apiVersion: 'v2', kind: 'Pod', metadata: { name: `p-${n}` } },
    { apiVersion: 'v1', kind: 'NoSuchKind', metadata: { name: `p-${n}` } },
    { apiVersion: 'v1', metadata: { name: `p-${n}` } },
    { kind: 'Pod', metadata: { name: `p-${n}` } },
    { apiVersion: 42, kind: ['Pod'], metadata: { name: `p-${n}` } },
    { apiVersion: 'v1', kind: 'Pod', metadata: 'not an object' },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${n}`, namespace: 'other-namespace' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${n}` }, spec: { containers: 'none' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${n}` }, spec: { containers: [] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${n}` }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 'lots' } } }] } },
  ];
  return {
    category: 'wrong-kind',
    method: 'POST',
    path: podPath(t, 'POST'),
    headers: JSON_TYPE,
    body: Buffer.from(JSON.stringify(pick(rng, bodies))),
    expect: 'refused',
  };
}

function oversized(rng: Rng, t: Targets): BadRequest {
  // Over kube's 3 MiB request limit: a ConfigMap whose data alone is larger.
  const size = 3 * 1024 * 1024 + 1 + Math.floor(rng() * 1024 * 1024);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${Math.floor(rng() * 1e6)}` }, data: { blob: 'x'.repeat(size) } };
  return {
    category: 'oversized',
    method: 'POST',
    path: `/api/v1/namespaces/${t.namespace}/configmaps`,
    headers: JSON_TYPE,
    body: Buffer.from(JSON.stringify(cm)),
    expect: 'refused',
  };
}

function deepNesting(rng: Rng, t: Targets): BadRequest {
  const depth = pick(rng, [1_000, 10_000, 100_000, 500_000]);
  const where = pick(rng, ['spec', 'metadata.labels', 'data', 'array']);
  let inner: string;
  if (where === 'array') inner = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  else inner = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const body =
    where === 'metadata.labels'
      ? `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","labels":${inner}}}`
      : where === 'data'
        ? `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${inner}}`
        : `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep_nesting"},"spec":${inner}}`;
  const method = pick(rng, ['POST', 'PATCH']);
  return {
    category: 'deep-nesting',
    method,
    path: method === 'POST' ? `/api/v1/namespaces/${t.namespace}/configmaps` : `/api/v1/namespaces/${t.namespace}/configmaps/${t.configMap}`,
    headers: { 'content-type': method === 'POST' ? 'application/json' : 'application/merge-patch+json' },
    body: Buffer.from(body),
    expect: 'refused',
  };
}

const INVALID_NAMES = [
  'UPPER',
  'under_score',
  '-leading',
  'trailing-',
  'a'.repeat(254),
  'dots..twice',
  'sp ace',
  'ünïcode',
  'semi;colon',
  '',
  '.',
  '..',
  'a/b',
  'tab\tname',
];

function invalidName(rng: Rng, t: Targets): BadRequest {
  const name = pick(rng, INVALID_NAMES);
  const kind = pick(rng, ['pod', 'configmap', 'namespace']);
  const body =
    kind === 'pod'
      ? validPod(name)
      : kind === 'configmap'
        ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { 'bad label!': 'x' } } }
        : { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  const path = kind === 'pod' ? podPath(t, 'POST') : kind === 'configmap' ? `/api/v1/namespaces/${t.namespace}/configmaps` : '/api/v1/namespaces';
  // An empty name with no generateName is refused; ensure the config map case is always bad (its label is).
  return { category: 'invalid-name', method: 'POST', path, headers: JSON_TYPE, body: Buffer.from(JSON.stringify(body)), expect: 'refused' };
}

function pathTraversal(rng: Rng, t: Targets): BadRequest {
  const names = ['..%2F..%2Fsecrets', '%2e%2e%2f%2e%2e%2fnodes', '..%252F..%252F', `${t.pod}%2F..%2F..%2Fnodes`, '%00', 'x%2Fstatus%2F..', '..', '.'];
  const name = pick(rng, names);
  const method = pick(rng, ['PUT', 'DELETE', 'PATCH']);
  const body = method === 'PATCH' ? Buffer.from('{"metadata":{"labels":{"x":"y"}}}') : Buffer.from(JSON.stringify(validPod('x')));
  return {
    category: 'path-traversal',
    method,
    path: `/api/v1/namespaces/${t.namespace}/pods/${name}`,
    headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
    body,
    expect: 'refused',
  };
}

function badSelector(rng: Rng, t: Targets): BadRequest {
  const selectors = [
    'labelSelector=a%20in%20(',
    'labelSelector=%3D%3D%3D',
    'labelSelector=a%20notin%20b',
    'labelSelector=!!a',
    `labelSelector=${'a'.repeat(300)}%3Db`,
    'labelSelector=a%3D%3Db%3D%3Dc',
    'fieldSelector=no.such.field%3Dx',
    'fieldSelector=metadata.name%3D%3D%3D',
    'fieldSelector=spec.nodeName%20in%20(a)',
    'fieldSelector=%3D',
  ];
  return {
    category: 'bad-selector',
    method: pick(rng, ['GET', 'DELETE']),
    path: `/api/v1/namespaces/${t.namespace}/pods?${pick(rng, selectors)}`,
    headers: {},
    expect: 'refused',
  };
}

function badPatch(rng: Rng, t: Targets): BadRequest {
  const patches: [string, string][] = [
    ['application/json-patch+json', '{"op":"add"}'],
    ['application/json-patch+json', '[{"op":"explode","path":"/metadata"}]'],
    ['application/json-patch+json', '[{"op":"remove","path":"/no/such/path"}]'],
    ['application/json-patch+json', '[{"op":"replace","path":"/metadata/name","value":"renamed"}]'],
    ['application/json-patch+json', '[{"op":"test","path":"/metadata/name","value":"not-it"}]'],
    ['application/json-patch+json', '[{"op":"add","path":"/spec/containers/-","value":{"name":"Bad Name"}}]'],
    ['application/merge-patch+json', '"a string"'],
    ['application/merge-patch+json', '[1,2]'],
    ['application/merge-patch+json', '{"metadata":{"name":"renamed"}}'],
    ['application/merge-patch+json', '{"spec":{"containers":null}}'],
    ['application/strategic-merge-patch+json', '{"spec":{"containers":[{"$patch":"explode"}]}}'],
    ['application/strategic-merge-patch+json', '{"metadata":{"labels":{"bad label!":"x"}}}'],
    ['application/strategic-merge-patch+json', '{"$setElementOrder/spec":5}'],
    ['application/apply-patch+yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: other}\n'],
    ['application/apply-patch+yaml', ': : :\n'],
    ['application/x-unknown-patch', '{}'],
  ];
  const [type, body] = pick(rng, patches);
  const path = `${podPath(t, 'PATCH')}${type === 'application/apply-patch+yaml' ? '?fieldManager=campaign' : ''}`;
  return { category: 'bad-patch', method: 'PATCH', path, headers: { 'content-type': type }, body: Buffer.from(body), expect: 'refused' };
}

function badQuery(rng: Rng, t: Targets): BadRequest {
  const queries = [
    'limit=abc',
    'timeoutSeconds=forever',
    'resourceVersion=not-a-number&resourceVersionMatch=Exact',
    'resourceVersionMatch=Sideways',
    'continue=%%%',
    'continue=bm90LWEtdG9rZW4',
    'watch=true&resourceVersion=abc',
    'dryRun=Maybe',
    'fieldValidation=Loose',
    'propagationPolicy=Sideways',
    'gracePeriodSeconds=soon',
  ];
  const q = pick(rng, queries);
  let method = 'GET';
  let path = `/api/v1/namespaces/${t.namespace}/pods?${q}`;
  let body: Buffer | undefined;
  if (q.startsWith('dryRun') || q.startsWith('fieldValidation')) {
    method = 'POST';
    body = Buffer.from(JSON.stringify(validPod(`q-${Math.floor(rng() * 1e6)}`)));
  } else if (q.startsWith('propagationPolicy') || q.startsWith('gracePeriodSeconds')) {
    method = 'DELETE';
    path = `/api/v1/namespaces/${t.namespace}/pods/${t.pod}?${q}`;
  }
  return { category: 'bad-query', method, path, headers: body ? JSON_TYPE : {}, ...(body ? { body } : {}), expect: 'refused' };
}

function unknownQuery(rng: Rng, t: Targets): BadRequest {
  const params = ['foo=bar', 'x=%00', `${'k'.repeat(200)}=v`, 'a=1&a=2&a=3', 'pretty=banana', '%zz=1'];
  return { category: 'unknown-query', method: 'GET', path: `/api/v1/namespaces/${t.namespace}/pods?${pick(rng, params)}`, headers: {}, expect: 'tolerated' };
}

function badHeaders(rng: Rng, t: Targets): BadRequest {
  const body = Buffer.from(JSON.stringify(validPod(`h-${Math.floor(rng() * 1e6)}`)));
  const variants: Record<string, string>[] = [
    { 'content-type': 'application/vnd.kubernetes.protobuf' },
    { 'content-type': 'text/html' },
    { 'content-type': 'application/x-www-form-urlencoded' },
    { 'content-type': 'application/json', accept: 'application/x-nothing' },
    { 'content-type': 'application/json', 'x-junk': 'y'.repeat(20_000) },
    { 'content-type': 'application/json', accept: Array.from({ length: 500 }, (_, i) => `application/x-v${i}`).join(', ') },
  ];
  const headers = pick(rng, variants);
  // protobuf with a JSON body is garbage to the protobuf decoder; html and forms are not object media types; an
  // Accept nothing can answer is refused before anything is written; 20 kB of one header is over the header limit.
  return { category: 'bad-headers', method: 'POST', path: podPath(t, 'POST'), headers, body, expect: 'refused' };
}

function badMethod(rng: Rng, t: Targets): BadRequest {
  const variants: [string, string][] = [
    ['POST', `/api/v1/namespaces/${t.namespace}/pods/${t.pod}`],
    ['PUT', `/api/v1/namespaces/${t.namespace}/pods`],
    ['PATCH', `/api/v1/namespaces/${t.namespace}/pods`],
    ['POST', '/api/v1/nodes/x/y/z/w'],
    ['GET', '/api/v1/namespaces/x/nosuchresource'],
    ['GET', '/apis/no.such.group/v1/things'],
    ['DELETE', '/api/v1/namespaces/kube-system/pods/no-such-pod'],
    ['GET', `/api/v1/namespaces/${t.namespace}/pods/no-such-pod/log`],
  ];
  const [method, path] = pick(rng, variants);
  return {
    category: 'bad-method',
    method,
    path,
    headers: method === 'GET' || method === 'DELETE' ? {} : JSON_TYPE,
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: Buffer.from('{}') }),
    expect: 'refused',
  };
}

const GENERATORS: Readonly<Record<Category, (rng: Rng, t: Targets) => BadRequest>> = {
  'broken-json': brokenJson,
  'broken-yaml': brokenYaml,
  'wrong-kind': wrongKind,
  oversized,
  'deep-nesting': deepNesting,
  'invalid-name': invalidName,
  'path-traversal': pathTraversal,
  'bad-selector': badSelector,
  'bad-patch': badPatch,
  'bad-query': badQuery,
  'unknown-query': unknownQuery,
  'bad-headers': badHeaders,
  'bad-method': badMethod,
};

/** Heavy requests (megabytes each) are a small share, so a campaign of thousands stays quick. */
const WEIGHTS: Readonly<Record<Category, number>> = {
  'broken-json': 12,
  'broken-yaml': 8,
  'wrong-kind': 10,
  oversized: 1,
  'deep-nesting': 3,
  'invalid-name': 10,
  'path-traversal': 8,
  'bad-selector': 8,
  'bad-patch': 12,
  'bad-query': 10,
  'unknown-query': 4,
  'bad-headers': 8,
  'bad-method': 6,
};

export const CATEGORIES = Object.keys(GENERATORS) as Category[];

/** `count` requests from `seed`, every category at least once (when count allows), the rest by weight. */
export function campaignRequests(seed: number, count: number, targets: Targets): BadRequest[] {
  const rng = seededRandom(seed);
  const out: BadRequest[] = [];
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  for (let i = 0; i < count; i++) {
    let category: Category;
    if (i < CATEGORIES.length) category = CATEGORIES[i] as Category;
    else {
      const r = rng() * total;
      let upTo = 0;
      category =
        CATEGORIES.find((c) => {
          upTo += WEIGHTS[c];
          return r < upTo;
        }) ?? 'broken-json';
    }
    out.push(GENERATORS[category](rng, targets));
  }
  return out;
}
