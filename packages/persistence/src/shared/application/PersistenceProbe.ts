import type { StorageProbeDetail, StorageProbePoint } from '../storage/StorageProbe';

/**
 * Service-level points, beside the store's own (StorageProbePoint):
 * - `queue:leased`: the queue consumer got a batch (rows leased), before persisting it.
 * - `queue:saved`: the batch is durable in the store, before its rows are marked processed.
 * - `startup:storage-opened`: start() opened the store (recovery done), before the
 *   queue consumer, socket server and health server start.
 */
export type ServiceProbePoint = 'queue:leased' | 'queue:saved' | 'startup:storage-opened';

export interface QueueProbeDetail {
  /** Ids of the leased queue messages. */
  readonly messageIds: readonly string[];
}

export type StartupProbeDetail = Readonly<Record<string, never>>;

export type PersistenceProbePoint = StorageProbePoint | ServiceProbePoint;
export type PersistenceProbeDetail = StorageProbeDetail | QueueProbeDetail | StartupProbeDetail;

/**
 * Tests and tracing only (`bootstrap(config, { probe })`): called synchronously
 * at each point, by the service and by the store bootstrap opens. An exception it
 * throws fails the step it interrupts like any error there (a save rejects, a
 * queue batch stays pending, start() fails) and never marks anything done.
 */
export type PersistenceProbe = (point: PersistenceProbePoint, detail: PersistenceProbeDetail) => void;

/** What runs when no probe is injected. */
export const NO_PROBE: PersistenceProbe = () => undefined;
