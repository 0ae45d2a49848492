import t from 'tap';
import {
  objectNameErrors,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
} from '../../../../kube/validation/object-meta.js';

t.test('valid labels produce no errors', async (t) => {
  t.same(validateLabels({ app: 'web', 'app.kubernetes.io/name': 'x', empty: '' }, 'metadata.labels'), []);
  t.same(validateLabels(undefined, 'metadata.labels'), []);
});

t.test('a bad label key or value is reported on the labels field with the bad string', async (t) => {
  const errs = validateLabels({ 'bad key': 'ok', good: 'bad value' }, 'metadata.labels');
  t.equal(errs.length, 2);
  t.match(errs[0], {
    reason: 'FieldValueInvalid',
    field: 'metadata.labels',
    message: /^Invalid value: "bad key": name part must consist/,
  });
  t.match(errs[1], {
    reason: 'FieldValueInvalid',
    field: 'metadata.labels',
    message: /^Invalid value: "bad value": a valid label must be/,
  });
});

t.test('a label value that is not a string is invalid rather than a crash', async (t) => {
  const errs = validateLabels({ n: 5 }, 'metadata.labels');
  t.match(errs, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 5: label values must be strings' }]);
});

t.test('annotation keys are qualified names checked case-insensitively', async (t) => {
  t.same(validateAnnotations({ 'Kubectl.Kubernetes.io/Last-Applied-Configuration': '{}' }, 'metadata.annotations'), []);
  t.match(validateAnnotations({ 'a b': 'x' }, 'metadata.annotations'), [{ field: 'metadata.annotations', message: /^Invalid value: "a b"/ }]);
});

t.test('annotations may total 256 KiB of keys and values, not a byte more', async (t) => {
  const key = 'kubectl.kubernetes.io/last-applied-configuration';
  const fits = { [key]: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES - key.length) };
  t.same(validateAnnotations(fits, 'metadata.annotations'), []);
  const over = { [key]: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES - key.length + 1) };
  t.same(validateAnnotations(over, 'metadata.annotations'), [
    {
      reason: 'FieldValueTooLong',
      message: 'Too long: may not be more than 262144 bytes',
      field: 'metadata.annotations',
    },
  ]);
});

t.test('object names follow the kind rule, and generateName may end in a dash', async (t) => {
  t.same(objectNameErrors('my-app.v1', 'subdomain', false), []);
  t.same(objectNameErrors('my-app.v1', 'label', false), ['must not contain dots']);
  t.same(objectNameErrors('web-', 'subdomain', true), []);
  t.not(objectNameErrors('web-', 'subdomain', false).length, 0);
  t.same(objectNameErrors('Node_1:x', 'path', false), []);
  t.same(objectNameErrors('a/b', 'path', true), ["may not contain '/'"]);
  t.same(objectNameErrors('..', 'path', true), []);
});

t.test('ObjectMeta needs a name or generateName, and a namespace exactly when namespaced', async (t) => {
  t.same(validateObjectMeta({ name: 'web', namespace: 'default' }, { nameRule: 'subdomain', namespaced: true }), []);
  t.same(validateObjectMeta({ generateName: 'web-', namespace: 'default' }, { nameRule: 'subdomain', namespaced: true }), [
    {
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    },
  ]);
  t.same(validateObjectMeta({ name: 'web' }, { nameRule: 'subdomain', namespaced: true }), [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.namespace' },
  ]);
  t.same(validateObjectMeta({ name: 'n1', namespace: 'default' }, { nameRule: 'path', namespaced: false }), [
    { reason: 'FieldValueForbidden', message: 'Forbidden: not allowed on this type', field: 'metadata.namespace' },
  ]);
});

t.test('ObjectMeta reports every broken field with its path', async (t) => {
  const errs = validateObjectMeta(
    { name: 'Bad_Name', namespace: 'My.NS', generation: -1, labels: { 'a b': 'c' }, annotations: { '': 'x' } },
    { nameRule: 'label', namespaced: true },
  );
  t.same(
    errs.map((e) => e.field),
    ['metadata.name', 'metadata.namespace', 'metadata.generation', 'metadata.labels', 'metadata.annotations', 'metadata.annotations'],
  );
  t.match(errs[2], { message: 'Invalid value: -1: must be greater than or equal to 0' });
});
