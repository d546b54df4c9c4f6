import { type QueueConfig, SQLiteQueue } from '@flowtrace/ipc';

/** Told the ids of a committed processed mark. */
export type ProcessedListener = (ids: readonly string[]) => void;

/**
 * The consumer's queue, telling `onProcessed` which ids were marked processed
 * once that transaction committed. The processed mark is the queue channel's
 * ack (until it commits, a restart delivers the message again), and
 * SQLiteQueuePoller makes it after onBatch resolved without a hook of its own:
 * timing the ack in onBatch would count messages whose mark then failed.
 */
export class AckReportingQueue extends SQLiteQueue {
  constructor(
    config: QueueConfig,
    private readonly onProcessed: ProcessedListener,
  ) {
    super(config);
  }

  override markProcessed(idOrIds: string | readonly string[]): number {
    const changed = super.markProcessed(idOrIds);
    try {
      this.onProcessed(typeof idOrIds === 'string' ? [idOrIds] : idOrIds);
    } catch {
      // A metrics failure must not look like a failed mark (the poller would mark the batch again).
    }
    return changed;
  }
}
