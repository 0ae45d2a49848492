import { pino } from 'pino';
import type { Entry, Message, NodeId, Snapshot } from '../../../../raft/core/types.js';

/** Transports log through pino; tests keep it quiet. */
export const silentLogger = pino({ level: 'silent' });

export const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Waits until `condition` holds, checking often; fails with `what` after a generous deadline. */
export async function pollUntil(condition: () => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function entry(index: number, term: number, data: Uint8Array = bytes(index % 256)): Entry {
  return { term, index, type: 'normal', data };
}

export function snapshot(index: number, term: number, dataBytes = 16): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } },
    data: new Uint8Array(dataBytes).map((_, i) => (i * 7) % 256),
  };
}

/** A small message whose `term` numbers it, to check order and loss. */
export function numbered(from: NodeId, to: NodeId, seq: number): Message {
  return { type: 'heartbeat', from, to, term: seq, commit: seq };
}

/** One message of every type, with the fields that type uses, from `from` to `to`. */
export function everyMessageType(from: NodeId, to: NodeId): Message[] {
  const ctx = bytes(0xde, 0xad, 0xbe, 0xef);
  return [
    {
      type: 'app',
      from,
      to,
      term: 3,
      index: 10,
      logTerm: 2,
      commit: 9,
      entries: [entry(11, 2), { term: 3, index: 12, type: 'confChange', data: bytes(1, 2, 3) }, entry(13, 3, new Uint8Array(0))],
    },
    { type: 'app', from, to, term: 3, index: 13, logTerm: 3, commit: 13, entries: [] },
    { type: 'appResp', from, to, term: 3, index: 13 },
    { type: 'appResp', from, to, term: 3, index: 7, reject: true, rejectHint: 5, logTerm: 1 },
    { type: 'vote', from, to, term: 4, index: 13, logTerm: 3 },
    { type: 'vote', from, to, term: 5, index: 13, logTerm: 3, transfer: true },
    { type: 'voteResp', from, to, term: 4 },
    { type: 'voteResp', from, to, term: 4, reject: true },
    { type: 'preVote', from, to, term: 6, index: 13, logTerm: 3 },
    { type: 'preVoteResp', from, to, term: 6, reject: false },
    { type: 'heartbeat', from, to, term: 4, commit: 12, context: ctx },
    { type: 'heartbeatResp', from, to, term: 4, context: ctx },
    { type: 'snap', from, to, term: 4, snapshot: snapshot(100, 4, 1000) },
    { type: 'timeoutNow', from, to, term: 4 },
    { type: 'readIndex', from, to, term: 4, context: ctx },
    { type: 'readIndexResp', from, to, term: 4, index: 12, context: ctx },
  ];
}
