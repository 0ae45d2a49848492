/**
 * How scenario tests see messages: one line per message in the shape of etcd-io/raft's
 * datadriven traces (`1->2 app term=2 index=3 logTerm=2 entries=[4/2] commit=3`), and small
 * predicates to pick messages for delivery or loss.
 */
import { decodeConfChange } from '../../raft/core/conf-change.js';
import type { Entry, Message, NodeId } from '../../raft/core/types.js';

export type MessageFilter = (m: Message) => boolean;

const decoder = new TextDecoder();

export function describeEntry(e: Entry): string {
  if (e.type !== 'confChange') return `${e.index}/${e.term}`;
  const cc = decodeConfChange(e.data);
  return `${e.index}/${e.term}(${cc.type} ${cc.nodeId})`;
}

export function describeContext(ctx: Uint8Array): string {
  return decoder.decode(ctx);
}

/** One line per message, in the shape of etcd-io/raft's datadriven traces. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      s += ` index=${m.index ?? 0} logTerm=${m.logTerm ?? 0} entries=[${(m.entries ?? []).map(describeEntry).join(' ')}] commit=${m.commit ?? 0}`;
      break;
    case 'appResp':
      if (m.index !== undefined) s += ` index=${m.index}`;
      if (m.reject) s += ` reject hint=${m.rejectHint ?? 0}/${m.logTerm ?? 0}`;
      break;
    case 'vote':
    case 'preVote':
      s += ` index=${m.index ?? 0} logTerm=${m.logTerm ?? 0}`;
      if (m.transfer) s += ' transfer';
      break;
    case 'voteResp':
    case 'preVoteResp':
      if (m.reject) s += ' reject';
      break;
    case 'heartbeat':
      s += ` commit=${m.commit ?? 0}`;
      break;
    case 'snap': {
      const md = m.snapshot?.metadata;
      if (md) s += ` snapshot=${md.index}/${md.term} voters=[${md.confState.voters.join(',')}] learners=[${md.confState.learners.join(',')}]`;
      break;
    }
    case 'readIndexResp':
      s += ` index=${m.index ?? 0}`;
      break;
    default:
      break;
  }
  if (m.context) s += ` ctx=${describeContext(m.context)}`;
  return s;
}

/** Message predicates for drop filters and selective delivery. */
export const msg = {
  type:
    (...types: Message['type'][]): MessageFilter =>
    (m) =>
      types.includes(m.type),
  from:
    (id: NodeId): MessageFilter =>
    (m) =>
      m.from === id,
  to:
    (id: NodeId): MessageFilter =>
    (m) =>
      m.to === id,
  between:
    (from: NodeId, to: NodeId): MessageFilter =>
    (m) =>
      m.from === from && m.to === to,
  /** An append carrying the entry at `index`. */
  carrying:
    (index: number): MessageFilter =>
    (m) =>
      m.type === 'app' && (m.entries ?? []).some((e) => e.index === index),
  all:
    (...fs: MessageFilter[]): MessageFilter =>
    (m) =>
      fs.every((f) => f(m)),
  /** Matches the first message `f` matches, and nothing after it. */
  once: (f: MessageFilter): MessageFilter => {
    let used = false;
    return (m) => {
      if (used || !f(m)) return false;
      used = true;
      return true;
    };
  },
};
