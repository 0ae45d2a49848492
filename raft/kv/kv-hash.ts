import type { KeyIndex } from './key-index.js';
import type { Revision } from './revision.js';

/**
 * 32-bit FNV-1a, the digest replicas compare to find divergence (etcd compares a CRC32 of its
 * key space for the same purpose). Pure and platform-independent: strings are hashed by UTF-16
 * code unit (two bytes each, low first), numbers as two 32-bit halves, so the same state gives
 * the same digest on every machine. Not a cryptographic hash.
 */

export const FNV1A_OFFSET_BASIS = 0x811c9dc5;
const FNV1A_PRIME = 0x01000193;

export function fnv1aBytes(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, FNV1A_PRIME);
  }
  return h >>> 0;
}

export function fnv1aString(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h = Math.imul(h ^ (unit & 0xff), FNV1A_PRIME);
    h = Math.imul(h ^ (unit >>> 8), FNV1A_PRIME);
  }
  // The length closes the field, so ("ab", "c") and ("a", "bc") differ.
  return fnv1aUint32(h >>> 0, text.length);
}

/** Hashes a non-negative safe integer as its low and high 32-bit halves, low byte first. */
export function fnv1aNumber(hash: number, value: number): number {
  return fnv1aUint32(fnv1aUint32(hash, value >>> 0), Math.floor(value / 0x100000000) >>> 0);
}

function fnv1aUint32(hash: number, value: number): number {
  let h = hash;
  h = Math.imul(h ^ (value & 0xff), FNV1A_PRIME);
  h = Math.imul(h ^ ((value >>> 8) & 0xff), FNV1A_PRIME);
  h = Math.imul(h ^ ((value >>> 16) & 0xff), FNV1A_PRIME);
  h = Math.imul(h ^ (value >>> 24), FNV1A_PRIME);
  return h >>> 0;
}

/**
 * The digest of a key space at `revision`: every key existing then, in the order given (key
 * order), with its value and revisions. Equal key spaces give equal digests, however they were
 * reached and whatever was compacted since.
 */
export function hashKeySpace(keys: Iterable<[string, KeyIndex]>, revision: Revision): number {
  let h = FNV1A_OFFSET_BASIS;
  for (const [key, keyIndex] of keys) {
    const kv = keyIndex.at(revision);
    if (kv === undefined) continue;
    h = fnv1aString(h, key);
    h = fnv1aNumber(h, kv.value.length);
    h = fnv1aBytes(h, kv.value);
    h = fnv1aNumber(h, kv.createRevision);
    h = fnv1aNumber(h, kv.modRevision);
    h = fnv1aNumber(h, kv.version);
    h = fnv1aNumber(h, kv.lease);
  }
  return h;
}
