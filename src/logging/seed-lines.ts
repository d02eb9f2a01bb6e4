// Renders events as the seed document's lines, character for character (emoji included). These
// strings are a public format: users grep for them, so a golden test pins each one. Lines the seed
// does not show come from its original's code where it had one, in the same style otherwise.

import type { SluiceEvent } from './events.js';

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** "[0]", "[0, 2]": the seed's bracketed lists. */
function list(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
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
    case 'kafka.wait.refused':
      return `❌ Kafka setup failed - ${event.bootstrapServers} refused this client (${event.attempts} attempts): ${event.error}`;
    case 'taskmanager.ready':
      return `✅ TASK MANAGER ${event.taskManagerId}: Ready to consume from topic '${event.topic}' with load balancing`;
    case 'taskmanager.partitions_assigned':
      return `📊 TASK MANAGER LOAD DISTRIBUTION: TaskManager ${event.taskManagerId} (PID: ${event.pid}) assigned ${event.partitions.length} partitions: ${event.topic} ${list(event.partitions)}`;
    case 'taskmanager.state_restoring':
      return `💾 RESTORING STATE: TaskManager ${event.taskManagerId} task ${event.task} from '${event.changelog}': ${event.records} changelog records so far (${(event.ms / 1000).toFixed(1)} s)`;
    case 'taskmanager.state_restored':
      return `💾 STATE RESTORED: TaskManager ${event.taskManagerId} restored task ${event.task} from '${event.changelog}': ${event.records} changelog records in ${event.ms} ms`;
    case 'taskmanager.topic_partitions':
      return `📈 TaskManager ${event.taskManagerId}: Topic '${event.topic}' partitions ${event.partitions.join(', ')} (${event.partitions.length} out of total available partitions)`;
    case 'taskmanager.load_status':
      return event.status === 'ACTIVE'
        ? `⚖️ LOAD BALANCING: TaskManager ${event.taskManagerId} is now actively consuming ${event.partitions} partitions - Load Status: ACTIVE`
        : `💤 LOAD BALANCING: TaskManager ${event.taskManagerId} has no partitions assigned - Load Status: IDLE`;
    case 'taskmanager.progress':
      return `📨 TaskManager ${event.taskManagerId}: Consumed ${event.consumed} messages from Kafka topic '${event.topic}' (partition: ${event.partition}, offset: ${event.offset})`;
    case 'taskmanager.load_balance_status':
      return `⚖️ LOAD BALANCE STATUS: TaskManager ${event.taskManagerId} currently assigned ${event.partitions} partitions, consumed ${event.consumed} total messages`;
    case 'taskmanager.partitions_revoked':
      return `📤 TASK MANAGER REBALANCING: TaskManager ${event.taskManagerId} revoked ${event.partitions.length} partitions: ${event.topic} ${list(event.partitions)} ${list(event.offsets)}`;
    case 'taskmanager.partitions_lost':
      return `📉 TASK MANAGER FAULT TOLERANCE: TaskManager ${event.taskManagerId} lost ${event.partitions.length} partitions: ${event.topic} ${list(event.partitions)} ${list(event.offsets)}`;
    case 'taskmanager.consume_error':
      return `❌ TaskManager ${event.taskManagerId}: Kafka consume error: ${event.error}`;
    case 'taskmanager.partition_resumed':
      return `▶️ TaskManager ${event.taskManagerId}: partition ${event.partition} progressing again from offset ${event.offset}`;
    case 'taskmanager.write_fenced':
      return `🧟 TaskManager ${event.taskManagerId}: write to partition ${event.partition} rejected - it no longer owns it (its epoch ${event.epoch} is not the current one)`;
    case 'taskmanager.source_completed':
      return `🏁 TaskManager ${event.taskManagerId}: Kafka source function completed. Total messages consumed: ${event.consumed}`;
    case 'taskmanager.task_revived':
      return `♻️ TaskManager ${event.taskManagerId}: task ${event.task} was fenced with no new owner (the broker aborted its transaction) - taken up again from offset ${event.offset}`;
    case 'taskmanager.task_blocked':
      return `⛔ TaskManager ${event.taskManagerId}: task ${event.task} cannot move on - ${event.what} has failed for ${formatDuration(event.ms)}: ${event.error} (retrying; its records wait, none is skipped)`;
    case 'taskmanager.task_unblocked':
      return `✅ TaskManager ${event.taskManagerId}: task ${event.task} moves on - ${event.what} landed after ${formatDuration(event.ms)}`;
    case 'taskmanager.jobmanager_disconnected':
      return `📡 TaskManager ${event.taskManagerId}: lost the JobManager (${event.reason}) - consuming on, registering again for up to ${formatDuration(event.graceMs)}`;
    case 'taskmanager.jobmanager_reconnected':
      return `🔗 TaskManager ${event.taskManagerId}: registered with the JobManager again after ${event.downMs}ms`;
    case 'taskmanager.loop_stalled':
      return (
        `🧊 TaskManager ${event.taskManagerId}: event loop stuck for ${formatDuration(Math.round(event.stalledMs / 1000) * 1000)} ` +
        `(job code that never returns?${event.batch ? `; stuck in the batch of task ${event.batch.task}, offsets ${event.batch.firstOffset}-${event.batch.lastOffset}` : ''}) - ` +
        'killing this process so that its partitions move (SLUICE_TASKMANAGER_STALL_TIMEOUT)'
      );
    case 'taskmanager.state_disk_failed':
      return `💾 TaskManager ${event.taskManagerId}: stopping - ${event.error}`;
    case 'taskmanager.jobmanager_lost':
      return `🛑 TaskManager ${event.taskManagerId}: stopping - ${event.reason}`;
    case 'jobmanager.started':
      return `🚀 JOB MANAGER: job '${event.job}', dashboard and REST API at ${event.url}/ - starting ${event.taskManagers} TaskManagers`;
    case 'jobmanager.job_created':
      return `🆕 JOB MANAGER: new run ${event.runId} of the job, reading from the ${event.startFrom} offsets ${list(event.startPositions)}`;
    case 'jobmanager.job_attached':
      return `♻️ JOB MANAGER: attached to run ${event.runId} of the job (recorded ${new Date(event.createdAt).toISOString()}) - its TaskManagers register again`;
    case 'jobmanager.taskmanager_registered':
      return `🔗 JOB MANAGER: TaskManager ${event.taskManagerId} (PID: ${event.pid}) registered${event.reconnected ? ' again' : ''} from ${event.host}`;
    case 'jobmanager.taskmanager_exited':
      return `🔌 JOB MANAGER: TaskManager ${event.taskManagerId} (PID: ${event.pid}) exited (${event.signal ?? `code ${event.code}`})`;
    case 'jobmanager.taskmanager_stuck':
      return `🪦 JOB MANAGER: TaskManager ${event.taskManagerId} (PID: ${event.pid}) closed its connection ${formatDuration(Math.round(event.ms / 1000) * 1000)} ago and has not exited (stuck on its way out) - killed (SIGKILL)`;
    case 'jobmanager.member_removed':
      return `🚪 JOB MANAGER: TaskManager ${event.taskManagerId} is gone (its connection closed) - its consumer was removed from the group in ${event.ms} ms, so its partitions move now, not at the broker's session timeout`;
    case 'jobmanager.member_removal_failed':
      return `⚠️ JOB MANAGER: TaskManager ${event.taskManagerId}'s connection closed, but its consumer could not be removed from the group (${event.reason}) - its partitions move when the broker's session timeout expires`;
    case 'jobmanager.taskmanager_restarted':
      return `♻️ JOB MANAGER: TaskManager ${event.taskManagerId} died unexpectedly - started again (PID: ${event.pid})`;
    case 'jobmanager.ownership_conflict':
      return `🧟 JOB MANAGER: TaskManager ${event.taskManagerId} still claims tasks ${list(event.tasks)} ${formatDuration(Math.round(event.forMs / 1000) * 1000)} after the broker gave them to ${event.owners.join(', ')} - told to exit and start again`;
    case 'jobmanager.taskmanager_unresponsive':
      return `🧊 JOB MANAGER: TaskManager ${event.taskManagerId} has not answered for ${formatDuration(Math.round(event.silentMs / 1000) * 1000)} (its event loop stuck in job code, or the network cut) - marked DISCONNECTED; its partitions move once the broker drops it or its watchdog ends it`;
    case 'jobmanager.taskmanager_refused':
      return `🚫 JOB MANAGER: refused '${event.taskManagerId}'${event.address ? ` from ${event.address}` : ''}: ${event.reason}`;
    case 'jobmanager.revocation_stuck':
      return `⏳ JOB MANAGER: TaskManager ${event.taskManagerId} still holds ${Object.entries(
        event.partitions,
      )
        .map(([topic, ps]) => `${topic} [${ps.join(', ')}]`)
        .join(
          ', ',
        )} ${formatDuration(event.heldMs)} after the group's coordinator moved them to other members - not revoked yet (its Kafka client gave it no revocation, or its tasks are still handing over); they move when it revokes them or the broker's rebalance timeout fences it, and at once if that TaskManager is restarted`;
    case 'jobmanager.distribution_complete':
      return `✅ JOB MANAGER: all ${event.partitions} partitions assigned after ${event.elapsedMs}ms - ${event.active} TaskManagers ACTIVE, ${event.idle} IDLE`;
    case 'checkpoint.completed':
      return `💾 CHECKPOINT ${event.checkpointId} completed in ${event.durationMs}ms - positions ${list(event.positions)}`;
    case 'checkpoint.aborted':
      return `⚠️ CHECKPOINT ${event.checkpointId} aborted (${event.reason}): ${event.detail}`;
    case 'job.monitor':
      return `📊 JOB MONITOR: ${event.elapsedSeconds.toFixed(1)}s - ${event.source === 'kafka' ? 'output topic' : 'Redis counter'} '${event.key}': ${event.count}/${event.total} (${percent(event.count, event.total)}%)`;
    case 'job.completed':
      return `✅ JOB MONITOR: Job completed - processed ${event.count} messages in ${event.elapsedSeconds.toFixed(1)}s`;
    case 'job.input_waiting':
      return `${event.resumed ? '▶️' : '⏳'} INPUT: ${event.detail}`;
    case 'job.failed':
      return `❌ JOB MONITOR: Job failed - ${event.reason} (counter ${event.count}/${event.total})`;
  }
}

function percent(count: number, total: number): string {
  return total === 0 ? '100.0' : ((count / total) * 100).toFixed(1);
}
