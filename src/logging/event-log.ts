// Writes SluiceEvents: one log record per event, its fields as JSON and its seed line as the
// message. Also lets in-process observers (tests, the job monitor) see the same events.

import type { Logger } from 'pino';
import { EventLevels, type SluiceEvent } from './events.js';
import { renderSeedLine } from './seed-lines.js';

export type EventListener = (event: SluiceEvent) => void;

export class EventLog {
  readonly #logger: Logger;
  /** Shared with child logs, so a listener on the root sees every component's events. */
  readonly #listeners: Set<EventListener>;

  constructor(logger: Logger, listeners: Set<EventListener> = new Set()) {
    this.#logger = logger;
    this.#listeners = listeners;
  }

  emit(event: SluiceEvent): void {
    const { type, ...fields } = event;
    this.#logger[EventLevels[type]]({ event: type, ...fields }, renderSeedLine(event));
    for (const listener of this.#listeners) listener(event);
  }

  /** Returns a function that removes the listener. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  child(bindings: Record<string, unknown>): EventLog {
    return new EventLog(this.#logger.child(bindings), this.#listeners);
  }
}
