import t from 'tap';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  regexError,
  utf8ByteLength,
} from '../../../../kube/validation/identifiers.js';

const LABEL_REGEX_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_REGEX_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

t.test('DNS-1123 labels accept lower-case alphanumerics and inner dashes up to 63 characters', async (t) => {
  for (const ok of ['a', 'my-name', '123-abc', '0', 'a'.repeat(63)]) t.same(isDns1123Label(ok), [], ok);
});

t.test('DNS-1123 label errors are worded as Kubernetes words them', async (t) => {
  const cases: [string, string[]][] = [
    ['My-Name', [LABEL_REGEX_MSG]],
    ['-a', [LABEL_REGEX_MSG]],
    ['a-', [LABEL_REGEX_MSG]],
    ['', [LABEL_REGEX_MSG]],
    ['a.b', ['must not contain dots']],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    [`${'a'.repeat(63)}_`, ['must be no more than 63 characters', LABEL_REGEX_MSG]],
  ];
  for (const [value, want] of cases) t.same(isDns1123Label(value), want, JSON.stringify(value));
});

t.test('DNS-1123 subdomains allow dots between labels and up to 253 characters', async (t) => {
  t.same(isDns1123Subdomain('example.com'), []);
  t.same(isDns1123Subdomain('my-app.v1'), []);
  t.same(isDns1123Subdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), []);
  t.same(isDns1123Subdomain('a..b'), [SUBDOMAIN_REGEX_MSG]);
  t.same(isDns1123Subdomain('Example.com'), [SUBDOMAIN_REGEX_MSG]);
  t.same(isDns1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
});

t.test('qualified names take an optional DNS subdomain prefix before a slash', async (t) => {
  for (const ok of ['app', 'app.kubernetes.io/name', 'kubernetes.io/cluster-service', 'My_Name.x', 'a/b']) {
    t.same(isQualifiedName(ok), [], ok);
  }
  t.same(isQualifiedName('app:monolith'), [NAME_PART_MSG]);
  t.same(isQualifiedName('/name'), ['prefix part must be non-empty']);
  t.same(isQualifiedName('example.com/'), ['name part must be non-empty', NAME_PART_MSG]);
  t.same(isQualifiedName('a'.repeat(64)), ['name part must be no more than 63 characters']);
  t.same(isQualifiedName('app.kubernetes_io/name'), [`prefix part ${SUBDOMAIN_REGEX_MSG}`]);
  t.same(isQualifiedName('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
});

t.test('label values may be empty, or up to 63 alphanumerics with inner -, _ and .', async (t) => {
  for (const ok of ['', 'web', 'my_value', '1.2.3', 'A-b_C.d', 'v'.repeat(63)]) t.same(isValidLabelValue(ok), [], ok);
  t.same(isValidLabelValue('a$b'), [LABEL_VALUE_MSG]);
  t.same(isValidLabelValue('-a'), [LABEL_VALUE_MSG]);
  t.same(isValidLabelValue('v'.repeat(64)), ['must be no more than 63 characters']);
});

t.test('lengths are counted in UTF-8 bytes as Go counts them', async (t) => {
  t.equal(utf8ByteLength('abc'), 3);
  t.equal(utf8ByteLength('é'), 2);
  t.equal(utf8ByteLength('€'), 3);
  t.equal(utf8ByteLength('😀'), 4);
  t.same(isValidLabelValue('é'.repeat(32)), ['must be no more than 63 characters', LABEL_VALUE_MSG]);
});

t.test('path segment names may not be . or .. and may not contain / or %', async (t) => {
  t.same(isValidPathSegmentName('node-1.example'), []);
  t.same(isValidPathSegmentName('.'), ["may not be '.'"]);
  t.same(isValidPathSegmentName('..'), ["may not be '..'"]);
  t.same(isValidPathSegmentName('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
});

t.test('regex errors without examples name only the regex', async (t) => {
  t.equal(regexError('bad', 'x+'), "bad (regex used for validation is 'x+')");
  t.equal(regexError('bad', 'x+', 'x'), "bad (e.g. 'x', regex used for validation is 'x+')");
});
