import t from 'tap';
import type { FieldCause } from '../../../../apiserver/registry/types.js';
import {
  duplicate,
  type FieldError,
  forbidden,
  formatBadValue,
  formatFieldError,
  goQuote,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from '../../../../kube/validation/field-errors.js';

t.test('each builder words its message as field.Error.ErrorBody does', async (t) => {
  const cases: [FieldError, FieldError][] = [
    [required('spec.containers'), { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }],
    [
      required('metadata.name', 'name or generateName is required'),
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ],
    [
      invalid('metadata.name', 'My_Pod', 'must be lower case'),
      { reason: 'FieldValueInvalid', message: 'Invalid value: "My_Pod": must be lower case', field: 'metadata.name' },
    ],
    [
      invalid('spec.replicas', -1, 'must be greater than or equal to 0'),
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: must be greater than or equal to 0',
        field: 'spec.replicas',
      },
    ],
    [
      notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']),
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        field: 'spec.restartPolicy',
      },
    ],
    [duplicate('spec.containers[1].name', 'web'), { reason: 'FieldValueDuplicate', message: 'Duplicate value: "web"', field: 'spec.containers[1].name' }],
    [
      forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`'),
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`',
        field: 'spec',
      },
    ],
    [
      tooLong('metadata.annotations', 262144),
      {
        reason: 'FieldValueTooLong',
        message: 'Too long: may not be more than 262144 bytes',
        field: 'metadata.annotations',
      },
    ],
    [tooMany('spec.containers', 5, 3), { reason: 'FieldValueTooMany', message: 'Too many: 5: must have at most 3 items', field: 'spec.containers' }],
    [
      typeInvalid('spec.replicas', 'three', 'must be of type integer'),
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "three": must be of type integer',
        field: 'spec.replicas',
      },
    ],
  ];
  for (const [got, want] of cases) t.same(got, want, want.message);
});

t.test('an unsupported value with no alternatives has no detail', async (t) => {
  t.equal(notSupported('x', 'y', []).message, 'Unsupported value: "y"');
});

t.test('a field error prints as field, colon, message', async (t) => {
  t.equal(formatFieldError(required('spec.containers')), 'spec.containers: Required value');
});

t.test('bad values print as Go prints them', async (t) => {
  t.equal(formatBadValue('a"b'), '"a\\"b"');
  t.equal(formatBadValue(3.5), '3.5');
  t.equal(formatBadValue(true), 'true');
  t.equal(formatBadValue(null), 'null');
  t.equal(formatBadValue(undefined), 'null');
  t.equal(formatBadValue(['a', 'b']), '[]string{"a", "b"}');
  t.equal(formatBadValue([]), '[]string{}');
  t.equal(formatBadValue({ a: 1 }), '{"a":1}');
});

t.test('strings are quoted with Go escapes for control characters', async (t) => {
  t.equal(goQuote('tab\there\nnew'), '"tab\\there\\nnew"');
  t.equal(goQuote('\x00\x7f\\'), '"\\x00\\x7f\\\\"');
  t.equal(goQuote('héllo'), '"héllo"');
});

t.test("a FieldError is the apiserver's FieldCause, so validators can return them directly", async (t) => {
  const causes: FieldCause[] = [required('spec.containers'), tooLong('metadata.annotations', 262144)];
  t.same(
    causes.map((c) => c.reason),
    ['FieldValueRequired', 'FieldValueTooLong'],
  );
});
