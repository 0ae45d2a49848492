import type { KeyIndex } from './key-index.js';
import type { Revision } from './revision.js';
import type { RevisionLog } from './revision-log.js';
import type { SortedKeyMap } from './sorted-key-map.js';

/**
 * The store's compaction state: the compact revision reads go by, and the trimming of the
 * history it made unreadable, which waits while a snapshot writer holds the store (a writer
 * reads the key histories in place, between slices; see snapshot-writer.ts). Reads cannot tell
 * trimmed from untrimmed history, so when trimming happens is invisible to everything but
 * memory.
 */
export class Compaction {
  /** Reads before this revision fail with Compacted; 0 if never compacted. */
  private compacted: Revision = 0;
  /** History is physically dropped through this revision (lags `compacted` while held). */
  private trimmed: Revision = 0;
  /** Snapshot writers in progress. */
  private holds = 0;

  /** `parts()`: the store's index and log as they are now (a restore replaces them). */
  constructor(private readonly parts: () => { readonly index: SortedKeyMap<KeyIndex>; readonly log: RevisionLog }) {}

  get revision(): Revision {
    return this.compacted;
  }

  /** Compacts at `revision` (checked by the caller): unreadable at once, trimmed when not held. */
  compact(revision: Revision): void {
    this.compacted = revision;
    this.trim();
  }

  /** After a restore: the restored state is compacted and trimmed at `revision`. */
  reset(revision: Revision): void {
    this.compacted = revision;
    this.trimmed = revision;
  }

  /** A snapshot writer starts reading the histories in place; returns its release. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.trim();
    };
  }

  private trim(): void {
    if (this.holds > 0 || this.trimmed >= this.compacted) return;
    const { index, log } = this.parts();
    dropCompactedHistory(index, log, this.trimmed, this.compacted);
    this.trimmed = this.compacted;
  }
}

/**
 * Drops the history a compaction at `through` made unreadable, given that everything through
 * `from` is already gone: each key changed in (from, through] keeps its newest change at or
 * before `through` and what follows (KeyIndex.compact); a key left with no history leaves the
 * index; the log forgets the batches through `through`. O(changes in the range).
 */
export function dropCompactedHistory(index: SortedKeyMap<KeyIndex>, log: RevisionLog, from: Revision, through: Revision): void {
  // Only keys changed since the last trim can have history to drop.
  const touched = new Set<string>();
  log.forEach(from + 1, through, (batch) => {
    for (const event of batch.events) touched.add(event.kv.key);
  });
  for (const key of touched) {
    const keyIndex = index.get(key);
    if (keyIndex?.compact(through) === true) index.delete(key);
  }
  log.dropThrough(through);
}
