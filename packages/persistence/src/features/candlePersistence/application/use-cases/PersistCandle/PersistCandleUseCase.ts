import type { FootprintCandleDTO } from '@flowtrace/core';
import type { CandleValidator } from '../../../domain/validation/CandleValidator';
import { StorageUnavailableError } from '../../errors/StorageUnavailableError';
import type { CandleStoragePort, SaveResult } from '../../ports/out/CandleStoragePort';
import type { PersistenceEventsPort } from '../../ports/out/PersistenceEventsPort';
import type { RejectedCandleEntry, RejectedCandleLogPort } from '../../ports/out/RejectedCandleLogPort';
import type { ValidationQualityMonitor } from '../../services/ValidationQualityMonitor';
import type { IngestChannel, PersistCandleOutcome, PersistCandleRequest } from './DTO';

/**
 * Validates candles, saves the valid ones in ONE storage call (so the adapter's
 * group commit shares the fsync), durably records the invalid ones in the
 * rejected-candles log, and only then reports outcomes. If either write fails,
 * the whole call fails with StorageUnavailableError: nothing may be acknowledged.
 */
export class PersistCandleUseCase {
  constructor(
    private readonly validator: CandleValidator,
    private readonly storage: CandleStoragePort,
    private readonly rejectedLog: RejectedCandleLogPort,
    private readonly quality: ValidationQualityMonitor,
    private readonly events: PersistenceEventsPort,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(requests: readonly PersistCandleRequest[]): Promise<PersistCandleOutcome[]> {
    const verdicts = requests.map((request) => this.validator.validate(request.payload));
    const candles: FootprintCandleDTO[] = [];
    const rejections: RejectedCandleEntry[] = [];
    let time: string | undefined;
    verdicts.forEach((verdict, index) => {
      const request = requests[index] as PersistCandleRequest;
      if (verdict.accepted) candles.push(verdict.candle);
      else {
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
    });
    this.quality.record(candles.length, rejections.length);

    const channel = requests[0]?.channel ?? 'api';
    if (rejections.length === 0 && candles.length > 0) {
      // The common case: only a storage write to wait for.
      try {
        await this.save(channel, candles);
      } catch (error) {
        this.events.storageFailed(error);
        throw new StorageUnavailableError('saving candles', error);
      }
    } else if (rejections.length > 0) {
      await this.saveAndRecord(channel, candles, rejections);
      this.countRejections(
        requests,
        verdicts.map((v) => !v.accepted),
      );
    }

    const doneAt = this.now();
    return verdicts.map((verdict): PersistCandleOutcome => {
      if (verdict.accepted) {
        return {
          status: 'persisted',
          candleId: verdict.candleId,
          persistedAt: doneAt,
          warnings: verdict.warnings,
        };
      }
      return { status: 'rejected', candleId: verdict.candleId, issues: verdict.issues, recordedAt: doneAt };
    });
  }

  /** Both writes run at once; either failing fails the call (nothing may be acknowledged). */
  private async saveAndRecord(
    channel: IngestChannel,
    candles: FootprintCandleDTO[],
    rejections: RejectedCandleEntry[],
  ): Promise<void> {
    const [saveOutcome, logOutcome] = await Promise.allSettled([
      candles.length > 0 ? this.save(channel, candles) : undefined,
      this.rejectedLog.append(rejections),
    ]);
    if (saveOutcome.status === 'rejected') {
      this.events.storageFailed(saveOutcome.reason);
      throw new StorageUnavailableError('saving candles', saveOutcome.reason);
    }
    if (logOutcome.status === 'rejected') {
      this.events.storageFailed(logOutcome.reason);
      throw new StorageUnavailableError('recording rejected candles', logOutcome.reason);
    }
  }

  private async save(channel: IngestChannel, candles: FootprintCandleDTO[]): Promise<SaveResult> {
    const started = performance.now();
    const result =
      candles.length === 1
        ? await this.storage.save(candles[0] as FootprintCandleDTO)
        : await this.storage.saveMany(candles);
    this.events.durableWrite(channel, result.written, result.unchanged, (performance.now() - started) / 1000);
    return result;
  }

  private countRejections(requests: readonly PersistCandleRequest[], rejected: readonly boolean[]): void {
    const perChannel = new Map<IngestChannel, number>();
    rejected.forEach((isRejected, index) => {
      if (!isRejected) return;
      const channel = (requests[index] as PersistCandleRequest).channel;
      perChannel.set(channel, (perChannel.get(channel) ?? 0) + 1);
    });
    for (const [channel, count] of perChannel) this.events.rejected(channel, count);
  }
}
