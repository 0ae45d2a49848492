import type { Rng } from '../core/rng.js';
import type { NodeId } from '../core/types.js';
import type { KvInput, KvOperation, KvOutput } from './history.js';
import type { ClientReply, ClientRequest } from './sim-replica.js';

export interface WorkloadOptions {
  readonly keys: number;
  /** Share of reads; the rest is split between puts and compare-and-sets. */
  readonly readRatio: number;
  readonly casRatio: number;
  /** Pause between one operation's end and the next one's start. */
  readonly thinkMs: number;
  /** How long one attempt waits for an answer before trying another replica. */
  readonly attemptTimeoutMs: number;
  /** How long an operation may take in all before its outcome is recorded as unknown. */
  readonly opTimeoutMs: number;
}

/** What a client asks the simulator to do for it. */
export type ClientAction =
  | { readonly kind: 'send'; readonly to: NodeId; readonly request: ClientRequest }
  | { readonly kind: 'wake'; readonly afterMs: number; readonly token: number };

interface InFlight {
  readonly reqId: string;
  readonly input: KvInput;
  readonly call: number;
  readonly deadline: number;
  attempt: number;
  /** A write may have been proposed somewhere: if it times out, its outcome is unknown. */
  mayHaveApplied: boolean;
}

/**
 * A closed-loop client: one operation at a time, retried on other replicas (with the same
 * request id, so a retried write applies once) until it succeeds or its deadline passes. It
 * records the history the linearizability checker reads.
 */
export class SimClient {
  private seq = 0;
  private current: InFlight | undefined;
  private leaderGuess: NodeId;
  private token = 0;
  private readonly lastSeen = new Map<string, string | null>();
  readonly history: KvOperation[] = [];
  succeeded = 0;
  stopped = false;

  constructor(
    readonly id: number,
    private readonly rng: Rng,
    private readonly opts: WorkloadOptions,
    private readonly members: () => readonly NodeId[],
  ) {
    this.leaderGuess = 0;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Starts the next operation, if the client is idle. */
  start(now: number): ClientAction[] {
    if (this.current || this.stopped) return [];
    const key = `k${this.rng.int(this.opts.keys)}`;
    const reqId = `c${this.id}-${++this.seq}`;
    const r = this.rng.float();
    let input: KvInput;
    if (r < this.opts.readRatio) input = { op: 'get', key };
    else if (r < this.opts.readRatio + this.opts.casRatio) {
      input = { op: 'cas', key, expected: this.lastSeen.get(key) ?? null, value: reqId };
    } else input = { op: 'put', key, value: reqId };
    this.current = { reqId, input, call: now, deadline: now + this.opts.opTimeoutMs, attempt: 0, mayHaveApplied: false };
    return this.attempt(now);
  }

  private target(isRead: boolean): NodeId {
    const members = this.members();
    // Reads go anywhere half the time: followers forward them, and a stale leader is tempted.
    const anywhere = isRead && this.rng.float() < 0.5;
    if (!anywhere && this.leaderGuess !== 0 && members.includes(this.leaderGuess)) return this.leaderGuess;
    return members[this.rng.int(members.length)] ?? 1;
  }

  private attempt(now: number): ClientAction[] {
    const op = this.current;
    if (!op) return [];
    if (now >= op.deadline) return this.giveUp();
    op.attempt++;
    const to = this.target(op.input.op === 'get');
    const request: ClientRequest =
      op.input.op === 'get'
        ? { kind: 'read', clientId: this.id, reqId: op.reqId, key: op.input.key }
        : {
            kind: 'write',
            clientId: this.id,
            cmd:
              op.input.op === 'put'
                ? { id: op.reqId, op: 'put', key: op.input.key, value: op.input.value }
                : { id: op.reqId, op: 'cas', key: op.input.key, expected: (op.input as { expected: string | null }).expected, value: (op.input as { value: string }).value },
          };
    if (request.kind === 'write') op.mayHaveApplied = true;
    this.token++;
    return [
      { kind: 'send', to, request },
      { kind: 'wake', afterMs: this.opts.attemptTimeoutMs, token: this.token },
    ];
  }

  /** An attempt timer fired: try elsewhere unless an answer came meanwhile. */
  wake(now: number, token: number): ClientAction[] {
    if (token !== this.token || !this.current) return [];
    this.leaderGuess = 0;
    return this.attempt(now);
  }

  onReply(now: number, reply: ClientReply): ClientAction[] {
    const op = this.current;
    if (!op || reply.reqId !== op.reqId) return [];
    if (reply.kind === 'redirect') {
      this.leaderGuess = reply.leader;
      // Back off a little when nobody knows a leader, so an election can finish.
      this.token++;
      return [{ kind: 'wake', afterMs: reply.leader === 0 ? 10 : 1, token: this.token }];
    }
    let output: KvOutput;
    if (reply.kind === 'read') {
      output = { value: reply.value };
      this.lastSeen.set(op.input.key, reply.value);
    } else {
      output = { ok: reply.result.ok };
      if (reply.result.ok && op.input.op !== 'get' && op.input.op !== 'delete') this.lastSeen.set(op.input.key, op.input.value);
    }
    this.history.push({ clientId: this.id, input: op.input, call: op.call, return: now, output });
    this.current = undefined;
    this.succeeded++;
    this.token++;
    return [{ kind: 'wake', afterMs: this.opts.thinkMs, token: -1 }];
  }

  private giveUp(): ClientAction[] {
    const op = this.current;
    if (!op) return [];
    // A read that never answered changed nothing; a write might have, at any time after its call.
    if (op.mayHaveApplied) this.history.push({ clientId: this.id, input: op.input, call: op.call, return: null, output: null });
    this.current = undefined;
    this.leaderGuess = 0;
    this.token++;
    return [{ kind: 'wake', afterMs: this.opts.thinkMs, token: -1 }];
  }

  /** The operation still running when the run ends has an unknown outcome. */
  finish(): void {
    const op = this.current;
    if (op?.mayHaveApplied) this.history.push({ clientId: this.id, input: op.input, call: op.call, return: null, output: null });
    this.current = undefined;
  }
}
