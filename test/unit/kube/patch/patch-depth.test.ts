import t from 'tap';
import type { Json } from '../../../../kube/object.js';
import { applyJsonPatch } from '../../../../kube/patch/json-patch.js';
import { applyMergePatch } from '../../../../kube/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../../../../kube/patch/strategic-merge-patch.js';

t.test('absurdly deep nesting is a 400 PatchError, not a crash, for every patch type', async (t) => {
  let deep: Json = 'leaf';
  for (let i = 0; i < 200_000; i++) deep = { a: deep };
  t.throws(() => applyMergePatch({}, deep), { name: 'PatchError', status: 400, message: /nested too deeply/ });
  t.throws(() => applyStrategicMergePatch({}, deep, undefined, {}), { name: 'PatchError', status: 400 });
  t.throws(() => applyJsonPatch({}, [{ op: 'add', path: '/x', value: deep }]), { name: 'PatchError', status: 400 });
});
