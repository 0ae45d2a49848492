/**
 * Which apiserver a new connection through the front goes to: round robin over the backends,
 * so connections spread, with a backend that refused a connection tried last until
 * `retryAfterMs` has passed (it was killed, or is restarting). Pure: the clock is passed in.
 */
export class BackendPicker {
  private next = 0;
  private readonly downUntil = new Map<string, number>();

  constructor(
    readonly backends: readonly string[],
    private readonly retryAfterMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    if (backends.length === 0) throw new Error('an apiserver front needs at least one backend');
  }

  /** The backends to try for one new connection, in order; each appears once. */
  order(): string[] {
    const start = this.next;
    this.next = (this.next + 1) % this.backends.length;
    const rotated = this.backends.map((_, i) => this.backends[(start + i) % this.backends.length] as string);
    const t = this.now();
    const up = rotated.filter((b) => (this.downUntil.get(b) ?? 0) <= t);
    return [...up, ...rotated.filter((b) => !up.includes(b))];
  }

  failed(backend: string): void {
    this.downUntil.set(backend, this.now() + this.retryAfterMs);
  }

  succeeded(backend: string): void {
    this.downUntil.delete(backend);
  }

  /** Backends currently tried last. */
  down(): string[] {
    const t = this.now();
    return this.backends.filter((b) => (this.downUntil.get(b) ?? 0) > t);
  }
}
