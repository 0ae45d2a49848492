/**
 * Linearizable reads, batched (etcd's linearizableReadLoop): every read waiting when a round
 * starts shares that round's one ReadIndex request, so a thousand concurrent reads cost one
 * heartbeat round, not a thousand. A round is done when the core reports its read index and the
 * state machine has applied up to it.
 */
export interface ReadIndexPort {
  /** Asks the core for a read index; false if it cannot now (no leader known). */
  requestReadIndex(context: Uint8Array): boolean;
  appliedIndex(): number;
}

interface Round {
  readonly context: Uint8Array;
  readonly key: string;
  readonly waiters: Waiter[];
  index: number | undefined;
  readonly timer: NodeJS.Timeout;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class ReadBarrier {
  private queue: Waiter[] = [];
  private round: Round | undefined;
  private seq = 0;

  constructor(
    private readonly port: ReadIndexPort,
    private readonly timeoutMs: number,
    private readonly onNoLeader: () => Error,
    private readonly onTimeout: () => Error,
  ) {}

  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ resolve, reject });
      if (!this.round) this.startRound();
    });
  }

  private startRound(): void {
    if (this.queue.length === 0) return;
    const waiters = this.queue;
    this.queue = [];
    const n = ++this.seq;
    const context = new Uint8Array(8);
    new DataView(context.buffer).setFloat64(0, n);
    const key = String(n);
    if (!this.port.requestReadIndex(context)) {
      const err = this.onNoLeader();
      for (const w of waiters) w.reject(err);
      return;
    }
    const timer = setTimeout(() => this.fail(key, this.onTimeout()), this.timeoutMs);
    this.round = { context, key, waiters, index: undefined, timer };
  }

  private fail(key: string, err: Error): void {
    const r = this.round;
    if (!r || r.key !== key) return;
    this.round = undefined;
    clearTimeout(r.timer);
    for (const w of r.waiters) w.reject(err);
    this.startRound();
  }

  /** The core answered a read index request. */
  onReadState(context: Uint8Array, index: number): void {
    const r = this.round;
    if (!r || r.index !== undefined || r.context.byteLength !== context.byteLength) return;
    for (let i = 0; i < context.byteLength; i++) if (r.context[i] !== context[i]) return;
    r.index = index;
    this.onApplied();
  }

  /** The state machine applied more entries. */
  onApplied(): void {
    const r = this.round;
    if (!r || r.index === undefined || this.port.appliedIndex() < r.index) return;
    this.round = undefined;
    clearTimeout(r.timer);
    for (const w of r.waiters) w.resolve();
    this.startRound();
  }

  /** Leadership changed: a round in flight may never be answered; fail it so clients retry. */
  abort(err: Error): void {
    const r = this.round;
    if (r) this.fail(r.key, err);
  }

  close(err: Error): void {
    this.abort(err);
    for (const w of this.queue) w.reject(err);
    this.queue = [];
  }
}
