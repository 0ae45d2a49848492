import { type KeyValue, prefixEnd, type StoreClient } from '../../raft/client/store-client.js';

/** Every kv under `prefix` at one revision, in key order. */
export interface PrefixSnapshot {
  readonly kvs: KeyValue[];
  readonly revision: number;
}

/**
 * Reads every key under `prefix` with linearizable ranges of at most `pageSize` keys, all at
 * the first page's revision, so the pages form one consistent snapshot however large the
 * resource is (and no single reply grows past the store's frame limit). A compaction between
 * pages fails the read with the store's Compacted error; the caller lists again.
 */
export async function listPrefix(store: StoreClient, prefix: string, pageSize: number): Promise<PrefixSnapshot> {
  const first = await store.range(prefix, { prefix: true, limit: pageSize });
  const kvs = [...first.kvs];
  let more = first.more;
  const rangeEnd = prefixEnd(prefix) ?? '\u0000';
  while (more) {
    const last = kvs[kvs.length - 1];
    if (last === undefined) throw new Error(`store range of ${prefix} said "more" but returned nothing`);
    // The smallest key after `last` in the store's order is `last` followed by U+0000.
    const page = await store.range(`${last.key}\u0000`, { rangeEnd, limit: pageSize, revision: first.revision });
    kvs.push(...page.kvs);
    more = page.more;
  }
  return { kvs, revision: first.revision };
}
