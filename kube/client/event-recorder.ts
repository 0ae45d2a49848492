import type { KubeObject } from '../object.js';

export type EventType = 'Normal' | 'Warning';

/**
 * Records a core/v1 Event about an object (client-go's `record.EventRecorder`): fire and forget,
 * never throws, never blocks the caller. The same (object, type, reason, message) repeated is
 * one Event whose `count` and `lastTimestamp` grow, as kubectl describe shows them.
 */
export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** An EventRecorder that keeps what it was told, for tests. */
export class RecordingEventRecorder implements EventRecorder {
  readonly events: { readonly key: string; readonly type: EventType; readonly reason: string; readonly message: string }[] = [];

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const { namespace, name } = obj.metadata;
    this.events.push({ key: namespace ? `${namespace}/${name ?? ''}` : (name ?? ''), type, reason, message });
  }
}
