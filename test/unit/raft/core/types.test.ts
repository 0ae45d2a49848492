import t from 'tap';
import { EMPTY_HARD_STATE, NONE } from '../../../../raft/core/types.js';

t.test('an empty hard state has no term, no vote and nothing committed', async (t) => {
  t.same(EMPTY_HARD_STATE, { term: 0, vote: NONE, commit: 0 });
});
