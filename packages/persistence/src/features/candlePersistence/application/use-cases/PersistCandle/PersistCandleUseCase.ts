import type { CandleIssue, FootprintCandleDTO } from '@flowtrace/core';
import type { CandleValidator } from '../../../domain/validation/CandleValidator';
import { PartitionUnwritableError } from '../../errors/PartitionUnwritableError';
import { StorageUnavailableError } from '../../errors/StorageUnavailableError';
import {
  type CandleStoragePort,
  isPartialSaveRejection,
  type SaveResult,
} from '../../ports/out/CandleStoragePort';
import type { PersistenceEventsPort } from '../../ports/out/PersistenceEventsPort';
import {
  REMEMBERED_REJECTIONS,
  type RejectedCandleEntry,
  type RejectedCandleLogPort,
  type RejectionRecord,
} from '../../ports/out/RejectedCandleLogPort';
import { RecentKeys } from '../../services/RecentKeys';
import type { ValidationQualityMonitor } from '../../services/ValidationQualityMonitor';
import { CompletedVersionGuard } from './CompletedVersionGuard';
import type { IngestChannel, PersistCandleOutcome, PersistCandleRequest } from './DTO';

/** A validation verdict without the candle itself. */
type Verdict =
  | {
      accepted: true;
      candleId: string;
      warnings: readonly CandleIssue[];
      /** PersistCandleRequest.batchId: the message of several candles this one came in, if any. */
      batchId: string | undefined;
    }
  | { accepted: false; candleId: string | undefined; issues: readonly CandleIssue[] };

/** Accepted candles (by position among the accepted ones) that the store refused; usually none. */
type Unsaved = ReadonlyMap<number, PartitionUnwritableError>;
const ALL_SAVED: Unsaved = new Map();
/** Accepted candles (by position among the accepted ones) not written: a complete version supersedes them. */
const NONE_SUPERSEDED: ReadonlySet<number> = new Set();

/** What the writes of a call came to. */
interface Written {
  readonly unsaved: Unsaved;
  /** Rejections of the call counted now (events.rejected, the error rate): see countRejected. */
  readonly rejectionsCounted: number;
}

interface ValidatedBatch {
  readonly candles: FootprintCandleDTO[];
  readonly rejections: RejectedCandleEntry[];
  readonly verdicts: Verdict[];
}

/**
 * Validates candles, saves the valid ones in ONE storage call (so the adapter's
 * group commit shares the fsync), durably records the invalid ones in the
 * rejected-candles log, and only then reports outcomes. If either write fails,
 * the whole call fails with StorageUnavailableError: nothing may be acknowledged.
 * One exception: candles whose partition the store refuses (a quarantined
 * `.ftcd` file, a PartialSaveRejection) are answered `unsaved` (retryable)
 * while the others of the call are saved and acknowledged.
 * From the queue channel, an incomplete candle (`x: false`) never replaces a
 * complete version of its key (CompletedVersionGuard): it is answered
 * `persisted` with `superseded: true` and not written.
 *
 * Retries count once (docs/persistence.md section 4.1): a message whose write
 * failed or that has an `unsaved` candle comes again, and its candles are
 * validated, rejected and saved again. A rejection is counted
 * (`events.rejected`, the error-rate window) only when the rejected-candles
 * log reports it written (the log, which remembers what it recorded, decides
 * what a retry is), in a call whose writes succeeded; one written by a call
 * whose storage write failed is counted when its message goes through. A
 * valid candle enters the window once its message is acknowledged: not
 * while another candle of that message is `unsaved` (it is saved again with
 * it at every attempt).
 */
export class PersistCandleUseCase {
  private readonly completedVersions: CompletedVersionGuard;
  /**
   * Keys (RejectionRecord.key) of rejections a call wrote in the log while its
   * storage write failed, not counted yet: their message comes again, and they
   * count when it goes through. Bounded: a producer that never sends its
   * message again leaves its keys behind, forgotten least recently seen first.
   * As many as the log remembers (REMEMBERED_REJECTIONS), and refreshed at
   * each failed attempt as the log refreshes its own: a key forgotten here is
   * (but for the order of concurrent calls) forgotten by the log too, so its
   * retry is written and counted then rather than never counted.
   */
  private readonly uncounted = new RecentKeys(REMEMBERED_REJECTIONS);

  constructor(
    private readonly validator: CandleValidator,
    private readonly storage: CandleStoragePort,
    private readonly rejectedLog: RejectedCandleLogPort,
    private readonly quality: ValidationQualityMonitor,
    private readonly events: PersistenceEventsPort,
    private readonly now: () => number = Date.now,
  ) {
    this.completedVersions = new CompletedVersionGuard(storage);
  }

  /**
   * Not an async function on purpose: an async function keeps its parameters
   * (here every payload) alive until it returns, i.e. through the durable
   * write and its fsync. The payloads are read only here, synchronously
   * (validation, and the store copies what it saves), so that they die young
   * instead of surviving garbage collections while the write waits.
   */
  execute(requests: readonly PersistCandleRequest[]): Promise<PersistCandleOutcome[]> {
    try {
      const batch = this.validateAll(requests);
      const channel = requests[0]?.channel ?? 'api';
      // A queue backlog can hold stale partial versions of a candle completed since (over the
      // socket): checked against the store first. Complete candles skip the read.
      if (channel === 'queue' && batch.candles.some((candle) => !candle.x))
        return this.writeUnlessSuperseded(channel, batch);
      // `batch` holds the candles: it must not be captured by any closure that lives until the
      // write is durable (a closure keeps its whole scope alive, not just what it reads).
      const written = this.write(channel, batch);
      return this.answerWhenWritten(written, batch.verdicts, NONE_SUPERSEDED);
    } catch (error) {
      // A port that throws instead of rejecting: the caller still gets a rejected promise.
      return Promise.reject(error);
    }
  }

  private validateAll(requests: readonly PersistCandleRequest[]): ValidatedBatch {
    const candles: FootprintCandleDTO[] = [];
    const rejections: RejectedCandleEntry[] = [];
    const verdicts: Verdict[] = new Array(requests.length);
    let time: string | undefined;
    for (let index = 0; index < requests.length; index += 1) {
      const request = requests[index] as PersistCandleRequest;
      const verdict = this.validator.validate(request.payload);
      if (verdict.accepted) {
        candles.push(verdict.candle);
        verdicts[index] = {
          accepted: true,
          candleId: verdict.candleId,
          warnings: verdict.warnings,
          batchId: request.batchId,
        };
        continue;
      }
      verdicts[index] = verdict;
      time ??= new Date(this.now()).toISOString();
      rejections.push({
        time,
        channel: request.channel,
        messageId: request.messageId,
        candleId: verdict.candleId,
        reasons: verdict.issues,
        payload: request.payload,
      });
    }
    // Not counted in the error-rate window yet: only once the writes succeeded (outcomes).
    return { candles, rejections, verdicts };
  }

  /** Starts the writes; the returned promise (and its callbacks) hold no candle. */
  private write(channel: IngestChannel, batch: ValidatedBatch): Promise<Written> {
    const { candles, rejections } = batch;
    if (rejections.length === 0) {
      // The common case: only a storage write to wait for.
      if (candles.length === 0) return Promise.resolve({ unsaved: ALL_SAVED, rejectionsCounted: 0 });
      return this.save(channel, candles).then(
        (unsaved): Written => ({ unsaved, rejectionsCounted: 0 }),
        (error: unknown) => {
          this.events.storageFailed(error);
          throw new StorageUnavailableError('saving candles', error);
        },
      );
    }
    // Their channels, not the entries: the callback must not hold the payloads.
    const channels = rejections.map((rejection) => rejection.channel);
    return this.saveAndRecord(channel, candles, rejections).then(
      ({ unsaved, records }): Written => ({
        unsaved,
        rejectionsCounted: this.countRejected(records, channels),
      }),
    );
  }

  /**
   * Counts the rejections first on record: written by this call's append, or
   * written by an earlier call whose storage write failed. Not those of a
   * retry that are on record and counted already. Returns how many.
   */
  private countRejected(records: readonly RejectionRecord[], channels: readonly IngestChannel[]): number {
    const perChannel = new Map<IngestChannel, number>();
    let counted = 0;
    channels.forEach((channel, index) => {
      const record = records[index];
      // An entry the log returned no record for is counted: a count too many rather than one missing.
      if (record !== undefined) {
        const waiting = this.uncounted.delete(record.key);
        if (!record.written && !waiting) return;
      }
      counted += 1;
      perChannel.set(channel, (perChannel.get(channel) ?? 0) + 1);
    });
    for (const [rejectedChannel, count] of perChannel) this.events.rejected(rejectedChannel, count);
    return counted;
  }

  /** This call's storage write failed: what the log wrote now or for an earlier failed attempt counts later. */
  private countLater(records: readonly RejectionRecord[]): void {
    for (const record of records) {
      if (record.written) this.uncounted.add(record.key);
      else this.uncounted.touch(record.key);
    }
  }

  /** The batch holds candles only until the stored versions are read, not until the write is durable. */
  private writeUnlessSuperseded(
    channel: IngestChannel,
    batch: ValidatedBatch,
  ): Promise<PersistCandleOutcome[]> {
    return this.completedVersions.whenChecked(batch.candles, (superseded) => {
      const candles =
        superseded.size === 0 ? batch.candles : batch.candles.filter((_, index) => !superseded.has(index));
      const written = this.write(channel, { ...batch, candles });
      return this.answerWhenWritten(written, batch.verdicts, superseded);
    });
  }

  private answerWhenWritten(
    written: Promise<Written>,
    verdicts: readonly Verdict[],
    superseded: ReadonlySet<number>,
  ): Promise<PersistCandleOutcome[]> {
    return written.then((result) => this.outcomes(verdicts, result, superseded));
  }

  private outcomes(
    verdicts: readonly Verdict[],
    { unsaved, rejectionsCounted }: Written,
    superseded: ReadonlySet<number>,
  ): PersistCandleOutcome[] {
    const doneAt = this.now();
    // Positions among the accepted candles, and among those written (superseded ones are not).
    let accepted = 0;
    let written = 0;
    const outcomes = verdicts.map((verdict): PersistCandleOutcome => {
      if (verdict.accepted) {
        accepted += 1;
        if (superseded.has(accepted - 1)) {
          return {
            status: 'persisted',
            candleId: verdict.candleId,
            persistedAt: doneAt,
            warnings: verdict.warnings,
            superseded: true,
          };
        }
        const error = unsaved.get(written);
        written += 1;
        if (error) return { status: 'unsaved', candleId: verdict.candleId, error };
        return {
          status: 'persisted',
          candleId: verdict.candleId,
          persistedAt: doneAt,
          warnings: verdict.warnings,
        };
      }
      return { status: 'rejected', candleId: verdict.candleId, issues: verdict.issues, recordedAt: doneAt };
    });
    // A candle enters the error-rate window once, when its fate is final. Not at validation: after
    // a failed write (or an `unsaved` answer) the producer or the queue sends it again, and it
    // would count once per attempt, diluting or inflating the rate (class comment).
    this.quality.record(storedToCount(verdicts, outcomes), rejectionsCounted);
    return outcomes;
  }

  /** Both writes run at once; either failing fails the call (nothing may be acknowledged). */
  private saveAndRecord(
    channel: IngestChannel,
    candles: FootprintCandleDTO[],
    rejections: RejectedCandleEntry[],
  ): Promise<{ unsaved: Unsaved; records: readonly RejectionRecord[] }> {
    let recording: Promise<readonly RejectionRecord[]>;
    try {
      recording = this.rejectedLog.append(rejections);
    } catch (error) {
      // A port implementation that throws instead of rejecting: still a failed write.
      recording = Promise.reject(error);
    }
    return Promise.allSettled([candles.length > 0 ? this.save(channel, candles) : ALL_SAVED, recording]).then(
      ([saveOutcome, logOutcome]) => {
        const records = logOutcome.status === 'fulfilled' ? logOutcome.value : [];
        if (saveOutcome.status === 'rejected') {
          this.countLater(records);
          this.events.storageFailed(saveOutcome.reason);
          throw new StorageUnavailableError('saving candles', saveOutcome.reason);
        }
        if (logOutcome.status === 'rejected') {
          this.events.storageFailed(logOutcome.reason);
          throw new StorageUnavailableError('recording rejected candles', logOutcome.reason);
        }
        return { unsaved: saveOutcome.value, records };
      },
    );
  }

  /**
   * A promise chain rather than an async function, for the same reason as
   * `execute` (neither callback holds the candles). Resolves with the candles
   * the store refused while saving the others (a PartialSaveRejection).
   */
  private save(channel: IngestChannel, candles: FootprintCandleDTO[]): Promise<Unsaved> {
    const started = performance.now();
    let saving: Promise<SaveResult>;
    try {
      saving =
        candles.length === 1
          ? this.storage.save(candles[0] as FootprintCandleDTO)
          : this.storage.saveMany(candles);
    } catch (error) {
      // A port implementation that throws instead of rejecting: still a failed write.
      saving = Promise.reject(error);
    }
    this.completedVersions.track(candles, saving);
    return saving.then(
      (result) => {
        this.events.durableWrite(
          channel,
          result.written,
          result.unchanged,
          (performance.now() - started) / 1000,
        );
        return ALL_SAVED;
      },
      (error: unknown) => {
        if (!isPartialSaveRejection(error)) throw error;
        const { saved, refusedIndexes } = error;
        this.events.durableWrite(
          channel,
          saved.written,
          saved.unchanged,
          (performance.now() - started) / 1000,
        );
        this.events.refusedByStorage(channel, refusedIndexes.length, error);
        const refused = new PartitionUnwritableError(error);
        return new Map(refusedIndexes.map((index) => [index, refused]));
      },
    );
  }
}

/**
 * The persisted candles (stored, unchanged or superseded) that enter the error rate now: not
 * those of a multi-candle message (`batchId`) with an `unsaved` candle, which is sent again
 * whole: they count at the attempt that acknowledges it. A single-candle message is counted
 * or `unsaved` on its own.
 */
function storedToCount(verdicts: readonly Verdict[], outcomes: readonly PersistCandleOutcome[]): number {
  const retried = new Set<string>();
  outcomes.forEach((outcome, index) => {
    const verdict = verdicts[index];
    if (outcome.status === 'unsaved' && verdict?.accepted === true && verdict.batchId !== undefined)
      retried.add(verdict.batchId);
  });
  let stored = 0;
  outcomes.forEach((outcome, index) => {
    const verdict = verdicts[index];
    if (outcome.status !== 'persisted' || verdict?.accepted !== true) return;
    if (verdict.batchId === undefined || !retried.has(verdict.batchId)) stored += 1;
  });
  return stored;
}
