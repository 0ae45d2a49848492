import t from 'tap';
import { GroupCommit } from '../../../../raft/storage/group-commit.js';

/** A flush whose completion the test controls, recording how many ran and what each covered. */
function controlledFlush() {
  const runs: { covered: number; finish: (err?: Error) => void }[] = [];
  let buffered = 0;
  const flush = (): Promise<void> => {
    const covered = buffered;
    return new Promise<void>((resolve, reject) => {
      runs.push({ covered, finish: (err) => (err ? reject(err) : resolve()) });
    });
  };
  return { runs, flush, write: () => ++buffered };
}

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

t.test('requests made while a flush is in flight share one next flush', async (t) => {
  const { runs, flush, write } = controlledFlush();
  const commit = new GroupCommit(flush);
  write();
  const first = commit.request();
  const waiting: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    write();
    waiting.push(commit.request());
  }
  t.equal(runs.length, 1, 'only the first flush started');
  runs[0]?.finish();
  await first;
  await tick();
  t.equal(runs.length, 2, 'one more flush for all ten');
  t.equal(runs[1]?.covered, 11, 'the next flush covers everything written before it started');
  runs[1]?.finish();
  await Promise.all(waiting);
  t.equal(runs.length, 2);
});

t.test('a request when idle starts a flush at once', async (t) => {
  const { runs, flush } = controlledFlush();
  const commit = new GroupCommit(flush);
  const p = commit.request();
  t.equal(runs.length, 1);
  runs[0]?.finish();
  await p;
});

t.test('idle waits for the flush in flight and the one queued after it', async (t) => {
  const { runs, flush } = controlledFlush();
  const commit = new GroupCommit(flush);
  await commit.idle();
  void commit.request();
  void commit.request();
  let idle = false;
  const done = commit.idle().then(() => {
    idle = true;
  });
  runs[0]?.finish();
  await tick();
  t.notOk(idle, 'the queued flush has not finished yet');
  runs[1]?.finish();
  await done;
  t.ok(idle);
});

t.test('a failed flush rejects its waiters and the next flush still runs', async (t) => {
  const { runs, flush } = controlledFlush();
  const commit = new GroupCommit(flush);
  const first = commit.request();
  const second = commit.request();
  runs[0]?.finish(new Error('disk on fire'));
  await t.rejects(first, /disk on fire/);
  await tick();
  runs[1]?.finish();
  await second;
  t.equal(runs.length, 2);
});
