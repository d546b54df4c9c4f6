import type { IngestChannel } from '../../use-cases/PersistCandle/DTO';

/** What the use case reports as it works; metrics and health listen. */
export interface PersistenceEventsPort {
  /** A storage write became durable: `written` new/replaced, `unchanged` identical re-saves. */
  durableWrite(channel: IngestChannel, written: number, unchanged: number, seconds: number): void;
  rejected(channel: IngestChannel, count: number): void;
  storageFailed(error: unknown): void;
  /** The store refused `count` valid candles (their partition is quarantined); the rest was saved. */
  refusedByStorage(channel: IngestChannel, count: number, error: unknown): void;
}
