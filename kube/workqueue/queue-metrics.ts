/**
 * Work queue metrics as client-go exports them (`workqueue_depth`, `workqueue_adds_total`,
 * `workqueue_retries_total`, `workqueue_queue_duration_seconds`, `workqueue_work_duration_seconds`),
 * labelled by queue name, on a prom-client Registry the component serves at /metrics.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What a queue reports; one instance serves every queue of a process (the label tells them apart). */
export interface WorkQueueMetrics {
  added(name: string): void;
  retried(name: string): void;
  depth(name: string, n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  waited(name: string, seconds: number): void;
  /** Seconds from `get` to `done`. */
  workDone(name: string, seconds: number): void;
}

const BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000];

export class PromWorkQueueMetrics implements WorkQueueMetrics {
  private readonly depthGauge: Gauge<'name'>;
  private readonly adds: Counter<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly queueSeconds: Histogram<'name'>;
  private readonly workSeconds: Histogram<'name'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.depthGauge = new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', labelNames: ['name'], registers });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: 'Adds handled by the work queue.', labelNames: ['name'], registers });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: 'Rate-limited re-adds handled by the work queue.', labelNames: ['name'], registers });
    this.queueSeconds = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long a key waits in the queue before it is taken.',
      labelNames: ['name'],
      buckets: BUCKETS,
      registers,
    });
    this.workSeconds = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long processing a key takes.',
      labelNames: ['name'],
      buckets: BUCKETS,
      registers,
    });
  }

  added(name: string): void {
    this.adds.inc({ name });
  }

  retried(name: string): void {
    this.retries.inc({ name });
  }

  depth(name: string, n: number): void {
    this.depthGauge.set({ name }, n);
  }

  waited(name: string, seconds: number): void {
    this.queueSeconds.observe({ name }, seconds);
  }

  workDone(name: string, seconds: number): void {
    this.workSeconds.observe({ name }, seconds);
  }
}
