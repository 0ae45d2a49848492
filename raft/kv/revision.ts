/**
 * Revisions, as in etcd v3 MVCC.
 *
 * The main revision is one store-wide counter, bumped once per write transaction that changes
 * something (a put, or a delete that deletes at least one key). Reads, failed compares with only
 * reads in the branch, and deletes of nothing leave it alone. A fresh store is at revision 1,
 * with no keys, so the first write is revision 2 (as etcd).
 *
 * The sub revision orders the writes inside one transaction: 0 for the first write, 1 for the
 * next, and so on. A key is written at most once per transaction, so (main, sub) names one
 * change of one key, and ordering changes by (main, sub) replays them in the order they were
 * made. Subs are internal: watchers see a revision's events in sub order, never the numbers.
 *
 * Revisions are JavaScript numbers, exact up to 2^53 - 1: at a million writes a second that is
 * 285 years, so no bigint is needed.
 */

/** A main revision. */
export type Revision = number;

/** The revision of an empty store. */
export const INITIAL_REVISION: Revision = 1;

/** One change of one key: which transaction (main) and where in it (sub). */
export interface RevisionPosition {
  readonly main: Revision;
  readonly sub: number;
}

/** Orders positions by main, then sub: negative if a comes first, 0 if equal, positive if later. */
export function compareRevisionPositions(a: RevisionPosition, b: RevisionPosition): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** True for a revision number a request may carry (a non-negative safe integer; 0 means "current"). */
export function isRevisionNumber(value: unknown): value is Revision {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
