import fc from 'fast-check';
import t from 'tap';
import type { KubeObject } from '../../../../kube/object.js';
import { deletePod, pod, putPod, Recorder, startCache } from './watch-cache-fixtures.js';

/**
 * The cache checked against a naive model: random writes to a few pods, and watchers started
 * between them in every mode (initial events, from a past revision that may have left the
 * window, a future one, a namespace, a label predicate). Each watcher's stream must equal what
 * the model derives from the full history: the snapshot (if asked), then every change after
 * its start as its filter sees it (ADDED on entering, DELETED on leaving, MODIFIED within).
 */

const WINDOW = 6;

type Op =
  | { readonly t: 'put'; readonly ns: string; readonly name: string; readonly app: string }
  | { readonly t: 'delete'; readonly ns: string; readonly name: string }
  | { readonly t: 'watch'; readonly initial: boolean; readonly back: number; readonly ns: string | undefined; readonly web: boolean };

const nsArb = fc.constantFrom('a', 'b');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('put' as const), ns: nsArb, name: fc.constantFrom('p0', 'p1', 'p2'), app: fc.constantFrom('web', 'db') }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), ns: nsArb, name: fc.constantFrom('p0', 'p1', 'p2') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('watch' as const),
      initial: fc.boolean(),
      back: fc.integer({ min: -2, max: 10 }),
      ns: fc.option(nsArb, { nil: undefined }),
      web: fc.boolean(),
    }),
  },
);

interface Change {
  readonly revision: number;
  readonly key: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

interface Filter {
  readonly ns: string | undefined;
  readonly web: boolean;
}

interface ModelWatcher extends Filter {
  readonly rec: Recorder;
  readonly expected: string[] | 'Expired';
  /** Changes after this revision are live for it. */
  after: number;
  /** An initial-events watcher whose snapshot waits for the cache to reach `after`. */
  pending: boolean;
}

/** Whether a watcher with `f` sees the pod `key` ("ns/name") labelled app=`app` (undefined: absent). */
function sees(f: Filter, key: string, app: string | undefined): boolean {
  return app !== undefined && (f.ns === undefined || key.startsWith(`${f.ns}/`)) && (!f.web || app === 'web');
}

function transition(f: Filter, c: Change): string[] {
  const was = sees(f, c.key, c.before);
  const is = sees(f, c.key, c.after);
  if (is) return [`${was ? 'MODIFIED' : 'ADDED'} ${c.key}@${c.revision}`];
  return was ? [`DELETED ${c.key}@${c.revision}`] : [];
}

t.test("every watcher's stream matches the model of history, whatever the mode and start point", async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
      const h = await startCache({ eventWindowMax: WINDOW });
      try {
        const listed = h.cache.revision();
        const state = new Map<string, string>(); // "ns/name" → app label
        const revOf = new Map<string, number>();
        const changes: Change[] = [];
        const watchers: ModelWatcher[] = [];
        const snapshot = (w: ModelWatcher): string[] =>
          [...state.keys()].sort().flatMap((key) => (sees(w, key, state.get(key)) ? [`ADDED ${key}@${revOf.get(key)}`] : []));
        for (const op of ops) {
          if (op.t === 'watch') {
            const now = h.cache.revision();
            const from = op.initial ? (op.back < 0 ? now - op.back : 0) : Math.max(0, now - op.back);
            const rec = new Recorder();
            const predicate = op.web ? (o: KubeObject) => o.metadata.labels?.app === 'web' : undefined;
            h.cache.watch({
              initialEvents: op.initial,
              fromRevision: from,
              ...(op.ns === undefined ? {} : { namespace: op.ns }),
              ...(predicate ? { predicate } : {}),
              ...rec.callbacks,
            });
            const windowStart = changes.length > WINDOW ? (changes[changes.length - WINDOW - 1] as Change).revision : listed;
            if (!op.initial && from > 0 && from < windowStart) {
              watchers.push({ rec, expected: 'Expired', after: 0, pending: false, ns: op.ns, web: op.web });
              continue;
            }
            const w: ModelWatcher = {
              rec,
              expected: [],
              after: op.initial ? Math.max(now, from) : from === 0 ? now : from,
              pending: op.initial && from > now,
              ns: op.ns,
              web: op.web,
            };
            const expected = w.expected as string[];
            if (op.initial && !w.pending) expected.push(...snapshot(w));
            if (!op.initial) for (const c of changes) if (c.revision > w.after) expected.push(...transition(w, c));
            watchers.push(w);
            continue;
          }
          const key = `${op.ns}/${op.name}`;
          if (op.t === 'delete' && !state.has(key)) continue;
          const before = state.get(key);
          const revision =
            op.t === 'put' ? await h.applied(putPod(h.store, pod(op.ns, op.name, { app: op.app }))) : await h.applied(deletePod(h.store, op.ns, op.name));
          const change: Change = { revision, key, before, after: op.t === 'put' ? op.app : undefined };
          if (op.t === 'put') {
            state.set(key, op.app);
            revOf.set(key, revision);
          } else state.delete(key);
          changes.push(change);
          for (const w of watchers) {
            if (w.expected === 'Expired') continue;
            if (w.pending && revision >= w.after) {
              w.expected.push(...snapshot(w));
              w.after = revision;
              w.pending = false;
            } else if (!w.pending && revision > w.after) w.expected.push(...transition(w, change));
          }
        }
        for (const w of watchers) {
          if (w.expected === 'Expired') {
            const reason = await w.rec.untilClosed();
            if (reason.kind !== 'Expired') throw new Error(`expected Expired, got ${reason.kind}`);
            continue;
          }
          await w.rec.untilCount(w.expected.length);
          if (JSON.stringify(w.rec.lines) !== JSON.stringify(w.expected))
            throw new Error(`watcher saw ${JSON.stringify(w.rec.lines)}, model says ${JSON.stringify(w.expected)}`);
        }
      } finally {
        await h.close();
      }
    }),
    { numRuns: 60 },
  );
  t.pass('model and cache agree');
});
