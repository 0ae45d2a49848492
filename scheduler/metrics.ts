import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SchedulingQueue } from './queue/scheduling-queue.js';
import type { SchedulerMetrics } from './scheduler.js';

/**
 * The scheduler's Prometheus series, named as kube-scheduler names them:
 * - `scheduler_schedule_attempts_total{result,profile}`: cycles by outcome (scheduled,
 *   unschedulable, error);
 * - `scheduler_scheduling_attempt_duration_seconds{result,profile}`: how long a cycle took;
 * - `scheduler_pod_scheduling_duration_seconds{attempts}`: from a pod's first entry in the
 *   queue to its successful bind (attempts capped at "10+");
 * - `scheduler_pending_pods{queue}`: pods waiting in active, backoff, unschedulable and gated.
 */
export class PromSchedulerMetrics implements SchedulerMetrics {
  private readonly attempts: Counter<'result' | 'profile'>;
  private readonly attemptSeconds: Histogram<'result' | 'profile'>;
  private readonly podSeconds: Histogram<'attempts'>;
  private queue: SchedulingQueue | undefined;

  constructor(
    registry: Registry,
    private readonly profile: string,
  ) {
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result.',
      labelNames: ['result', 'profile'],
      registers: [registry],
    });
    this.attemptSeconds = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm, not binding).',
      labelNames: ['result', 'profile'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.podSeconds = new Histogram({
      name: 'scheduler_pod_scheduling_duration_seconds',
      help: 'E2e latency for a pod being scheduled, from entering the queue to bound, by attempts.',
      labelNames: ['attempts'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    const pending = new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type.',
      labelNames: ['queue'],
      registers: [registry],
      collect: () => {
        const c = this.queue?.counts() ?? { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
        pending.set({ queue: 'active' }, c.active);
        pending.set({ queue: 'backoff' }, c.backoff);
        pending.set({ queue: 'unschedulable' }, c.unschedulable);
        pending.set({ queue: 'gated' }, c.gated);
      },
    });
  }

  /** The queue whose sizes the pending-pods gauge reports. */
  watchQueue(queue: SchedulingQueue): void {
    this.queue = queue;
  }

  attempt(result: 'scheduled' | 'unschedulable' | 'error', seconds: number): void {
    this.attempts.inc({ result, profile: this.profile });
    this.attemptSeconds.observe({ result, profile: this.profile }, seconds);
  }

  podScheduled(seconds: number, attempts: number): void {
    this.podSeconds.observe({ attempts: attempts >= 10 ? '10+' : String(attempts) }, seconds);
  }
}
