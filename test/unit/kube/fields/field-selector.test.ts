import fc from 'fast-check';
import t from 'tap';
import {
  escapeFieldValue,
  FieldSelector,
  fieldLabelNotSupported,
  parseFieldSelector,
  SelectorParseError,
  unescapeFieldValue,
  unsupportedFields,
} from '../../../../kube/fields/field-selector.js';

const getterOf =
  (fields: Record<string, string>) =>
  (field: string): string | undefined =>
    Object.hasOwn(fields, field) ? fields[field] : undefined;

t.test('terms parse into field, operator and value, sorted by their text', async (t) => {
  const cases: [string, { field: string; op: '=' | '!='; value: string }[]][] = [
    ['', []],
    [',', []],
    ['metadata.name=web', [{ field: 'metadata.name', op: '=', value: 'web' }]],
    ['metadata.name==web', [{ field: 'metadata.name', op: '=', value: 'web' }]],
    ['status.phase!=Running', [{ field: 'status.phase', op: '!=', value: 'Running' }]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', op: '=', value: '' }]],
    [
      'involvedObject.uid=u1,involvedObject.name=myapp-pod,involvedObject.namespace=default',
      [
        { field: 'involvedObject.name', op: '=', value: 'myapp-pod' },
        { field: 'involvedObject.namespace', op: '=', value: 'default' },
        { field: 'involvedObject.uid', op: '=', value: 'u1' },
      ],
    ],
    ['a=x\\,y\\=z\\\\', [{ field: 'a', op: '=', value: 'x,y=z\\' }]],
    [
      'a=x\\,y,b!=1',
      [
        { field: 'a', op: '=', value: 'x,y' },
        { field: 'b', op: '!=', value: '1' },
      ],
    ],
    ['a = b', [{ field: 'a ', op: '=', value: ' b' }]],
  ];
  for (const [text, want] of cases) t.same(parseFieldSelector(text).requirements(), want, JSON.stringify(text));
});

t.test('malformed selectors are SelectorParseErrors worded as kube-apiserver words them', async (t) => {
  const cases: [string, string][] = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=1,b', "invalid selector: 'a=1,b'; can't understand 'b'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=x\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseFieldSelector(text), new SelectorParseError(message), JSON.stringify(text));
  }
});

t.test('a selector matches when every term holds, and a missing field reads as empty', async (t) => {
  const pod = getterOf({ 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' });
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name=db', false],
    ['metadata.name!=db', true],
    ['metadata.name=web,status.phase!=Running', false],
    ['spec.nodeName=', true],
    ['spec.schedulerName=', true],
    ['spec.schedulerName!=default-scheduler', true],
    ['spec.schedulerName=default-scheduler', false],
  ];
  for (const [text, want] of cases) t.equal(parseFieldSelector(text).matches(pod), want, text);
});

t.test('fields() lists each field once and unsupportedFields names the ones a kind lacks', async (t) => {
  const sel = parseFieldSelector('metadata.name=a,spec.nodeName=n,metadata.name!=b,spec.bogus=1');
  t.same(sel.fields(), ['metadata.name', 'spec.bogus', 'spec.nodeName']);
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName']);
  t.same(unsupportedFields(sel, supported), ['spec.bogus']);
  t.same(unsupportedFields(FieldSelector.everything(), supported), []);
  t.equal(fieldLabelNotSupported('spec.bogus'), 'field label not supported: spec.bogus');
});

t.test('requiresExactMatch finds the value of an equality term only', async (t) => {
  const sel = parseFieldSelector('metadata.name=web,metadata.namespace!=x');
  t.equal(sel.requiresExactMatch('metadata.name'), 'web');
  t.equal(sel.requiresExactMatch('metadata.namespace'), undefined);
  t.ok(FieldSelector.everything().isEverything());
});

t.test('the canonical text escapes values and parses back to the same selector', async (t) => {
  const sel = parseFieldSelector('b!=x\\=y,a==1');
  t.equal(sel.toString(), 'a=1,b!=x\\=y');
  t.same(parseFieldSelector(sel.toString()).requirements(), sel.requirements());
});

t.test('any value survives escaping into a selector and parsing back', async (t) => {
  fc.assert(
    fc.property(fc.string(), (value) => {
      const sel = parseFieldSelector(`metadata.name=${escapeFieldValue(value)}`);
      return sel.requirements()[0]?.value === value && unescapeFieldValue(escapeFieldValue(value)) === value;
    }),
    { seed: 11, numRuns: 1000 },
  );
  t.pass();
});

t.test('parsing arbitrary text either succeeds or throws a SelectorParseError', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (text) => {
      try {
        parseFieldSelector(text);
      } catch (e) {
        return e instanceof SelectorParseError;
      }
      return true;
    }),
    { seed: 12, numRuns: 2000 },
  );
  t.pass();
});
