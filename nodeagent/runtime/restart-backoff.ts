/**
 * The kubelet's CrashLoopBackOff timing (pkg/kubelet/kuberuntime `doBackOff` over client-go's
 * flowcontrol.Backoff): the first restart of a container is immediate, the next ones wait 10 s,
 * 20 s, 40 s … capped at 5 min; a container whose last restart is more than twice the cap ago
 * (10 min of good behaviour) starts over with an immediate restart. Pure: time comes in as ms.
 */

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  /** The wait the next failure will get. */
  nextDelayMs: number;
  /** When the last restart was granted. */
  lastRestartMs: number;
}

export class RestartBackoff {
  /** pod uid → container name → entry. */
  private readonly entries = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  /**
   * A container of a pod ended at `finishedAtMs` and is to be restarted: how long to wait before
   * starting it again. Records the restart as granted at `finishedAtMs + delay`.
   */
  delayAfterExit(podUid: string, container: string, finishedAtMs: number): number {
    let pod = this.entries.get(podUid);
    if (!pod) {
      pod = new Map();
      this.entries.set(podUid, pod);
    }
    const entry = pod.get(container);
    if (!entry || finishedAtMs - entry.lastRestartMs > 2 * this.maxMs) {
      pod.set(container, { nextDelayMs: this.initialMs, lastRestartMs: finishedAtMs });
      return 0;
    }
    const delay = entry.nextDelayMs;
    entry.nextDelayMs = Math.min(entry.nextDelayMs * 2, this.maxMs);
    entry.lastRestartMs = finishedAtMs + delay;
    return delay;
  }

  /** Forget a pod's containers when the pod goes. */
  forgetPod(podUid: string): void {
    this.entries.delete(podUid);
  }
}
