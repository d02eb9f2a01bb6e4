// The typed events Sluice logs. Each event is written once: as JSON fields for machines, with the
// seed's human line (seed-lines.ts) as its message. Adding an event means adding it here and giving
// it a line there; the compiler then checks every renderer.

export type SluiceEvent =
  | { type: 'kafka.wait.started'; bootstrapServers: string; timeoutMs: number; topic?: string }
  | {
      type: 'kafka.wait.attempt_failed';
      bootstrapServers: string;
      attempt: number;
      maxAttempts: number;
      elapsedMs: number;
      error: string;
    }
  | {
      type: 'kafka.wait.ready';
      bootstrapServers: string;
      attempt: number;
      elapsedMs: number;
      brokers: number;
    }
  | {
      type: 'kafka.wait.timed_out';
      bootstrapServers: string;
      attempts: number;
      elapsedMs: number;
      timeoutMs: number;
      error: string;
    };

export type SluiceEventType = SluiceEvent['type'];

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The level each event is logged at: failures that stop work are errors, retries are warnings. */
export const EventLevels: Record<SluiceEventType, LogLevel> = {
  'kafka.wait.started': 'info',
  'kafka.wait.attempt_failed': 'warn',
  'kafka.wait.ready': 'info',
  'kafka.wait.timed_out': 'error',
};
