import { Agent, type ClientRequest, get } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * N raw streaming watches (`GET …?watch=true&resourceVersion=RV`) on one dedicated agent with a
 * socket for each. Every line is scanned for its object's resourceVersion and the time it came
 * in is recorded under it, so that a writer can ask when a change of its own reached every
 * watcher. The scan reads the first "resourceVersion" in the line, which is the object's
 * metadata one for the objects this benchmark writes (it never sets ownerReferences).
 */
export class WatchFanout {
  private readonly agent: Agent;
  private readonly requests: ClientRequest[] = [];
  /** Arrival times (performance.now) of each resourceVersion's event, one per watcher. */
  private readonly arrivals = new Map<string, number[]>();
  private readonly waiters = new Map<string, () => void>();
  private readonly url: URL;
  private connected = 0;
  /** Lines that were not a watch event of an object (ERROR, unparseable), with the first one kept. */
  oddLines = 0;
  firstOddLine: string | undefined;
  /** Watches the server ended while the benchmark still listened. */
  closedEarly = 0;
  private stopping = false;

  constructor(
    baseUrl: string,
    private readonly path: string,
    readonly size: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: false, maxSockets: size + 16 });
  }

  /**
   * Opens every watch, `batch` at a time (the server's listen backlog is finite), and resolves
   * once each has its response headers (the apiserver sends them as soon as the watch is set up).
   */
  async open(batch = 100): Promise<void> {
    for (let i = 0; i < this.size; i += batch) {
      const n = Math.min(batch, this.size - i);
      await Promise.all(Array.from({ length: n }, () => this.openOne()));
    }
  }

  /** Watches whose stream is open now. */
  get connectedCount(): number {
    return this.connected;
  }

  private openOne(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = get(
        { host: this.url.hostname, port: Number(this.url.port), path: this.path, agent: this.agent, headers: { accept: 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${this.path}: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          this.connected++;
          resolve();
          let pending = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = performance.now();
            pending += chunk;
            let nl = pending.indexOf('\n');
            while (nl >= 0) {
              this.line(pending.slice(0, nl), now);
              pending = pending.slice(nl + 1);
              nl = pending.indexOf('\n');
            }
          });
          res.once('close', () => {
            this.connected--;
            if (!this.stopping) this.closedEarly++;
          });
        },
      );
      req.once('error', (e) => {
        if (!this.stopping) reject(e);
      });
      this.requests.push(req);
    });
  }

  private line(text: string, now: number): void {
    if (text.length === 0) return;
    const typeAt = text.indexOf('"type":"');
    const rvAt = text.indexOf('"resourceVersion":"');
    const type = typeAt >= 0 ? text.slice(typeAt + 8, text.indexOf('"', typeAt + 8)) : '';
    if (rvAt < 0 || (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')) {
      this.oddLines++;
      this.firstOddLine ??= text.slice(0, 300);
      return;
    }
    const start = rvAt + 19;
    const rv = text.slice(start, text.indexOf('"', start));
    let times = this.arrivals.get(rv);
    if (!times) {
      times = [];
      this.arrivals.set(rv, times);
    }
    times.push(now);
    if (times.length >= this.size) this.waiters.get(rv)?.();
  }

  /**
   * Resolves with the arrival time at each watcher of the event carrying `resourceVersion`, once
   * all of them have it; rejects after `timeoutMs` saying how many had it by then.
   */
  delivered(resourceVersion: string, timeoutMs: number): Promise<number[]> {
    const take = (): number[] => {
      const times = this.arrivals.get(resourceVersion) ?? [];
      this.arrivals.delete(resourceVersion);
      return times;
    };
    if ((this.arrivals.get(resourceVersion)?.length ?? 0) >= this.size) return Promise.resolve(take());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(resourceVersion);
        const got = this.arrivals.get(resourceVersion)?.length ?? 0;
        reject(new Error(`resourceVersion ${resourceVersion} reached ${got} of ${this.size} watchers in ${timeoutMs} ms (${this.connected} still connected)`));
      }, timeoutMs);
      this.waiters.set(resourceVersion, () => {
        clearTimeout(timer);
        this.waiters.delete(resourceVersion);
        resolve(take());
      });
    });
  }

  /** Ends every watch (the client side closes its sockets). */
  close(): void {
    this.stopping = true;
    for (const r of this.requests) r.destroy();
    this.agent.destroy();
  }
}
