// Renders events as the seed document's lines, character for character (emoji included). These
// strings are a public format: users grep for them, so a golden test pins each one.

import type { SluiceEvent } from './events.js';

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function renderSeedLine(event: SluiceEvent): string {
  switch (event.type) {
    case 'kafka.wait.started':
      return `🔄 Waiting for Kafka setup to complete (timeout: ${formatDuration(event.timeoutMs)})...`;
    case 'kafka.wait.attempt_failed':
      return `⏳ Kafka not ready yet - attempt ${event.attempt}/${event.maxAttempts} after ${event.elapsedMs}ms: ${event.error}`;
    case 'kafka.wait.ready':
      return `✅ Kafka setup verified - broker connectivity established after ${event.elapsedMs}ms (attempt ${event.attempt})`;
    case 'kafka.wait.timed_out':
      return `❌ Kafka setup failed - no answer from ${event.bootstrapServers} within ${formatDuration(event.timeoutMs)} (${event.attempts} attempts): ${event.error}`;
  }
}
