import type { ConfChange, ConfState, NodeId } from './types.js';

/**
 * Membership changes travel in the log as entries of type `confChange`. The encoding is a small
 * JSON document: readable in a WAL dump, and it needs nothing outside the core.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const doc = { type: cc.type, nodeId: cc.nodeId, context: cc.context ? Array.from(cc.context) : undefined };
  return new TextEncoder().encode(JSON.stringify(doc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const doc: unknown = JSON.parse(new TextDecoder().decode(data));
  if (typeof doc !== 'object' || doc === null) throw new Error('conf change: not an object');
  const { type, nodeId, context } = doc as Record<string, unknown>;
  if (type !== 'addLearner' && type !== 'addVoter' && type !== 'remove') throw new Error(`conf change: unknown type ${String(type)}`);
  if (typeof nodeId !== 'number' || !Number.isInteger(nodeId) || nodeId <= 0) throw new Error('conf change: bad node id');
  if (context !== undefined && !Array.isArray(context)) throw new Error('conf change: bad context');
  return context === undefined ? { type, nodeId } : { type, nodeId, context: Uint8Array.from(context as number[]) };
}

/** Why a change cannot be made to `conf`, or undefined if it can (one server at a time). */
export function confChangeProblem(conf: ConfState, cc: ConfChange): string | undefined {
  const isVoter = conf.voters.includes(cc.nodeId);
  const isLearner = conf.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addLearner':
      if (isVoter) return `node ${cc.nodeId} is a voter; demoting is not supported`;
      if (isLearner) return `node ${cc.nodeId} is already a learner`;
      return undefined;
    case 'addVoter':
      if (isVoter) return `node ${cc.nodeId} is already a voter`;
      return undefined;
    case 'remove':
      if (!isVoter && !isLearner) return `node ${cc.nodeId} is not a member`;
      if (isVoter && conf.voters.length === 1) return 'cannot remove the last voter';
      return undefined;
  }
}

/** The configuration after `cc`. Voters and learners stay sorted, so equal configs compare equal. */
export function applyToConfState(conf: ConfState, cc: ConfChange): ConfState {
  const voters = new Set<NodeId>(conf.voters);
  const learners = new Set<NodeId>(conf.learners);
  switch (cc.type) {
    case 'addLearner':
      if (!voters.has(cc.nodeId)) learners.add(cc.nodeId);
      break;
    case 'addVoter':
      learners.delete(cc.nodeId);
      voters.add(cc.nodeId);
      break;
    case 'remove':
      voters.delete(cc.nodeId);
      learners.delete(cc.nodeId);
      break;
  }
  const sorted = (s: Set<NodeId>) => [...s].sort((a, b) => a - b);
  return { voters: sorted(voters), learners: sorted(learners) };
}
