import fc from 'fast-check';
import t from 'tap';
import {
  formatLabelSelector,
  type LabelRequirement,
  LabelSelector,
  labelSelectorFromObject,
  labelSelectorFromSet,
  parseLabelSelector,
  SelectorParseError,
  selectorToString,
} from '../../../../kube/labels/label-selector.js';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

t.test('selectors parse to their canonical form, sorted by key', async (t) => {
  const cases: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['app=nginx', 'app=nginx'],
    ['app==nginx', 'app==nginx'],
    ['app!=foo', 'app!=foo'],
    ['app', 'app'],
    ['!canary', '!canary'],
    ['environment in (production),app!=foo', 'app!=foo,environment in (production)'],
    ['tier notin (b, a, a)', 'tier notin (a,b)'],
    ['kubernetes.io/cluster-service=true', 'kubernetes.io/cluster-service=true'],
    ['  a  =  b  ,  c ', 'a=b,c'],
    ['a=', 'a='],
    ['a=,b', 'a=,b'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['in in (in),notin notin (notin)', 'in in (in),notin notin (notin)'],
    ['replicas>3,age<10', 'age<10,replicas>3'],
    ['a=1\t,\nb', 'a=1,b'],
  ];
  for (const [text, want] of cases) {
    t.equal(parseLabelSelector(text).toString(), want, JSON.stringify(text));
  }
});

t.test('parse errors carry kube-apiserver messages', async (t) => {
  const cases: [string, string][] = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['app:monolith', `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART_MSG}`],
    [
      'app=a$b',
      "unable to parse requirement: values[0][app]: Invalid value: \"a$b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
    ['x>qa', "unable to parse requirement: values[0]: Invalid value: \"qa\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseLabelSelector(text), new SelectorParseError(message), JSON.stringify(text));
  }
});

t.test('a selector matches exactly the label sets its requirements allow', async (t) => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', undefined, true],
    ['', { app: 'web' }, true],
    ['app=web', { app: 'web', tier: 'fe' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', undefined, false],
    ['app==web', { app: 'web' }, true],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', { app: 'web' }, false],
    ['app!=web', {}, true],
    ['tier in (a,b)', { tier: 'b' }, true],
    ['tier in (a,b)', { tier: 'c' }, false],
    ['tier in (a,b)', {}, false],
    ['tier notin (a,b)', { tier: 'c' }, true],
    ['tier notin (a,b)', { tier: 'a' }, false],
    ['tier notin (a,b)', undefined, true],
    ['app', { app: '' }, true],
    ['app', {}, false],
    ['!app', {}, true],
    ['!app', { app: 'x' }, false],
    ['a=', { a: '' }, true],
    ['a=', {}, false],
    ['app=web,!canary', { app: 'web' }, true],
    ['app=web,!canary', { app: 'web', canary: 'true' }, false],
    ['n>3', { n: '4' }, true],
    ['n>3', { n: '3' }, false],
    ['n>3', { n: 'x' }, false],
    ['n<3', { n: '-10' }, true],
    ['n<3', {}, false],
    ['constructor', {}, false],
    ['toString=x', {}, false],
  ];
  for (const [text, labels, want] of cases) {
    t.equal(parseLabelSelector(text).matches(labels), want, `${text} on ${JSON.stringify(labels)}`);
  }
});

t.test('requirements are exposed sorted by key, with set values sorted and deduplicated', async (t) => {
  const sel = parseLabelSelector('tier in (b,a,b),app=web,!canary');
  const want: LabelRequirement[] = [
    { key: 'app', operator: '=', values: ['web'] },
    { key: 'canary', operator: '!', values: [] },
    { key: 'tier', operator: 'in', values: ['a', 'b'] },
  ];
  t.same(sel.requirements(), want);
});

t.test('requiresExactMatch finds the single value a key must have', async (t) => {
  const sel = parseLabelSelector('app=web,tier in (fe),env in (a,b),x!=y');
  t.equal(sel.requiresExactMatch('app'), 'web');
  t.equal(sel.requiresExactMatch('tier'), 'fe');
  t.equal(sel.requiresExactMatch('env'), undefined);
  t.equal(sel.requiresExactMatch('x'), undefined);
  t.equal(sel.requiresExactMatch('missing'), undefined);
});

t.test('the empty selector selects everything and the nothing selector selects nothing', async (t) => {
  t.ok(parseLabelSelector('').isEverything());
  t.ok(LabelSelector.everything().matches(undefined));
  t.notOk(LabelSelector.nothing().matches({}));
  t.ok(LabelSelector.nothing().isNothing());
  t.notOk(LabelSelector.nothing().isEverything());
  t.equal(LabelSelector.nothing().toString(), '');
});

t.test('and() adds requirements and keeps the key order', async (t) => {
  const sel = parseLabelSelector('b=1').and(...parseLabelSelector('a=2').requirements());
  t.equal(sel.toString(), 'a=2,b=1');
  t.ok(sel.matches({ a: '2', b: '1' }));
});

t.test("a Deployment's metav1.LabelSelector converts and prints as kubectl shows it", async (t) => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In' as const, values: ['b', 'a'] },
      { key: 'canary', operator: 'DoesNotExist' as const },
      { key: 'env', operator: 'NotIn' as const, values: ['dev'] },
      { key: 'team', operator: 'Exists' as const, values: null },
    ],
  };
  t.equal(selectorToString(selector), 'app=web,!canary,env notin (dev),team,tier in (a,b)');
  const sel = labelSelectorFromObject(selector);
  t.ok(sel.matches({ app: 'web', tier: 'a', team: 'x' }));
  t.notOk(sel.matches({ app: 'web', tier: 'a', team: 'x', canary: '1' }));
  t.equal(formatLabelSelector(selector), 'app=web,!canary,env notin (dev),team,tier in (a,b)');
});

t.test('an absent metav1.LabelSelector selects nothing and an empty one everything', async (t) => {
  t.ok(labelSelectorFromObject(undefined).isNothing());
  t.ok(labelSelectorFromObject(null).isNothing());
  t.ok(labelSelectorFromObject({}).isEverything());
  t.ok(labelSelectorFromObject({ matchLabels: null, matchExpressions: [] }).isEverything());
  t.equal(formatLabelSelector({}), '<none>');
});

t.test('a bad metav1.LabelSelector is a SelectorParseError with the upstream message', async (t) => {
  const cases: [unknown, string][] = [
    [{ matchExpressions: [{ key: 'x', operator: 'Foo' }] }, '"Foo" is not a valid label selector operator'],
    [
      { matchExpressions: [{ key: 'x', operator: 'In', values: [] }] },
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'x', operator: 'Exists', values: ['a'] }] },
      'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist',
    ],
    [{ matchLabels: { 'a b': 'c' } }, `key: Invalid value: "a b": ${NAME_PART_MSG}`],
    [{ matchLabels: { a: 5 } }, 'matchLabels[a] must be a string'],
    [{ matchExpressions: 'x' }, 'matchExpressions must be a list'],
    [[], 'a label selector must be an object'],
  ];
  for (const [sel, message] of cases) {
    t.throws(() => labelSelectorFromObject(sel), new SelectorParseError(message), message);
  }
  t.equal(formatLabelSelector({ matchExpressions: [{ key: 'x', operator: 'Foo' as 'In' }] }), '<error>');
});

t.test('several invalid parts of one requirement are reported together as a Go aggregate', async (t) => {
  t.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a b', operator: 'In', values: [] }] }), {
    message: /^\[key: Invalid value: "a b": .*, values: Invalid value: \[\]string\{\}: .*\]$/,
  });
});

t.test('a selector from a label set matches that set', async (t) => {
  const sel = labelSelectorFromSet({ tier: 'fe', app: 'web' });
  t.equal(sel.toString(), 'app=web,tier=fe');
  t.ok(sel.matches({ app: 'web', tier: 'fe', x: 'y' }));
  t.throws(() => labelSelectorFromSet({ app: 'not valid' }), SelectorParseError);
});

// Property tests: the canonical text is a fixed point, and parsing it back selects the same objects.
const key = fc.constantFrom('app', 'tier', 'example.com/team', 'in', 'a.b-c_d');
const value = fc.constantFrom('', 'web', 'db', 'in', 'notin', 'x.y', '1', '42');
const requirementText = fc.oneof(
  fc.tuple(key, fc.constantFrom('=', '==', '!='), value).map(([k, op, v]) => `${k}${op}${v}`),
  fc.tuple(key, fc.constantFrom('in', 'notin'), fc.array(value, { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
  key,
  key.map((k) => `!${k}`),
  fc.tuple(key, fc.constantFrom('>', '<'), fc.integer({ min: 0, max: 5 })).map(([k, op, n]) => `${k}${op}${n}`),
);
const selectorText = fc.array(requirementText, { maxLength: 4 }).map((rs) => rs.join(','));
const labels = fc.dictionary(key, value, { maxKeys: 4 });

t.test('printing a parsed selector and parsing it again gives the same selector', async (t) => {
  fc.assert(
    fc.property(selectorText, labels, (text, ls) => {
      const sel = parseLabelSelector(text);
      const again = parseLabelSelector(sel.toString());
      return again.toString() === sel.toString() && again.matches(ls) === sel.matches(ls);
    }),
    { seed: 7, numRuns: 500 },
  );
  t.pass();
});

t.test('a selector matches exactly when every one of its comma-separated terms matches on its own', async (t) => {
  fc.assert(
    fc.property(fc.array(requirementText, { minLength: 1, maxLength: 4 }), labels, (terms, ls) => {
      const whole = parseLabelSelector(terms.join(',')).matches(ls);
      return whole === terms.every((term) => parseLabelSelector(term).matches(ls));
    }),
    { seed: 8, numRuns: 500 },
  );
  t.pass();
});

t.test('parsing arbitrary text either succeeds or throws a SelectorParseError', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (text) => {
      try {
        parseLabelSelector(text);
      } catch (e) {
        return e instanceof SelectorParseError;
      }
      return true;
    }),
    { seed: 9, numRuns: 2000 },
  );
  t.pass();
});
