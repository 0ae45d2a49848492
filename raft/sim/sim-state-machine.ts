/**
 * The replicated state machine the simulator runs on its Raft replicas: a small string map with
 * put and compare-and-set, and a table of request ids that makes retried commands apply at most
 * once. It is deliberately simple; the real MVCC store lives in raft/kv.
 */
export type SimCommand =
  | { readonly id: string; readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly id: string; readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

export interface SimResult {
  readonly ok: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: SimCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): SimCommand {
  return JSON.parse(decoder.decode(data)) as SimCommand;
}

export class SimStateMachine {
  readonly kv = new Map<string, string>();
  /** Request id → the result of its one effective application. */
  readonly results = new Map<string, SimResult>();
  /** How many times each request id changed the state; the simulator asserts it stays <= 1. */
  readonly effectiveApplies = new Map<string, number>();

  apply(cmd: SimCommand): { result: SimResult; duplicate: boolean } {
    const seen = this.results.get(cmd.id);
    if (seen) return { result: seen, duplicate: true };
    let result: SimResult;
    if (cmd.op === 'put') {
      this.kv.set(cmd.key, cmd.value);
      result = { ok: true };
    } else {
      const current = this.kv.get(cmd.key) ?? null;
      result = { ok: current === cmd.expected };
      if (result.ok) this.kv.set(cmd.key, cmd.value);
    }
    this.results.set(cmd.id, result);
    this.effectiveApplies.set(cmd.id, (this.effectiveApplies.get(cmd.id) ?? 0) + 1);
    return { result, duplicate: false };
  }

  get(key: string): string | null {
    return this.kv.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    const kv = [...this.kv].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const results = [...this.results].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return encoder.encode(JSON.stringify({ kv, results }));
  }

  /** Empty data is the empty state machine of a freshly bootstrapped cluster. */
  static restore(data: Uint8Array): SimStateMachine {
    const sm = new SimStateMachine();
    if (data.byteLength === 0) return sm;
    const doc = JSON.parse(decoder.decode(data)) as { kv: [string, string][]; results: [string, SimResult][] };
    for (const [k, v] of doc.kv) sm.kv.set(k, v);
    for (const [k, r] of doc.results) sm.results.set(k, r);
    return sm;
  }

  /** A digest of the whole state, to compare replicas (FNV-1a over the snapshot bytes). */
  hash(): string {
    let h = 0x811c9dc5;
    for (const b of this.snapshot()) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, '0');
  }
}
