import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Entry, HardState } from '../../../../raft/core/types.js';

/**
 * Shared fixtures for the storage tests: entries with recognisable data, and fresh temporary
 * directories on the real file system that are removed when the test ends.
 */

export function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(text) };
}

/** Entries lo..hi inclusive, all in `term`. */
export function entries(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term));
  return out;
}

export function hardState(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

/** Entries as [index, term, text] triples: readable in assertion diffs. */
export function summarize(list: readonly Entry[]): [number, number, string][] {
  return list.map((e) => [e.index, e.term, new TextDecoder().decode(e.data)]);
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

/** A fresh directory under the OS temp dir, removed at the end of the test. */
export function tempDir(t: Teardown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picokube-storage-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
