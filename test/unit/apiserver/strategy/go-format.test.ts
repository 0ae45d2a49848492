import t from 'tap';
import { goFloat, goJson, goQuote, goSprint } from '../../../../apiserver/strategy/go-format.js';

t.test('goSprint prints decoded JSON as Go prints map[string]interface{}: sorted keys, space-separated lists, <nil>', async (t) => {
  const cases: [unknown, string][] = [
    [{ spec: { bogusField: true }, metadata: { labels: { b: '2', a: '1' } } }, 'map[metadata:map[labels:map[a:1 b:2]] spec:map[bogusField:true]]'],
    [{ containers: [{ name: 'nginx', ports: [{ containerPort: 80 }] }] }, 'map[containers:[map[name:nginx ports:[map[containerPort:80]]]]]'],
    [{ x: null, y: [], z: {} }, 'map[x:<nil> y:[] z:map[]]'],
    ['plain', 'plain'],
  ];
  for (const [value, printed] of cases) t.equal(goSprint(value), printed, printed);
});

t.test('goFloat prints float64 as %v does: shortest digits, exponent below 1e-4 and from 1e+06', async (t) => {
  const cases: [number, string][] = [
    [80, '80'],
    [1.5, '1.5'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [1e21, '1e+21'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [0, '0'],
  ];
  for (const [n, printed] of cases) t.equal(goFloat(n), printed, String(n));
});

t.test('goQuote escapes as strconv.Quote: quotes, backslashes, control characters; other text kept', async (t) => {
  t.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  t.equal(goQuote('line\nnext\ttab\x01\x7f'), '"line\\nnext\\ttab\\x01\\x7f"');
  t.equal(goQuote('héllo ✓'), '"héllo ✓"');
});

t.test('goJson sorts keys and escapes <, > and & as encoding/json does', async (t) => {
  t.equal(goJson({ b: 1, a: { d: '<x & y>', c: [2, 1] } }), '{"a":{"c":[2,1],"d":"\\u003cx \\u0026 y\\u003e"},"b":1}');
});
