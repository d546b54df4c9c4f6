import type { CandlePersistencePort } from '../ports/in/CandlePersistencePort';
import type { PersistCandleOutcome, PersistCandleRequest } from '../use-cases/PersistCandle/DTO';
import type { PersistCandleUseCase } from '../use-cases/PersistCandle/PersistCandleUseCase';

/** The CandlePersistencePort both consumers call; a thin facade over the use case. */
export class CandlePersistenceService implements CandlePersistencePort {
  constructor(private readonly persistCandle: PersistCandleUseCase) {}

  async persist(request: PersistCandleRequest): Promise<PersistCandleOutcome> {
    const [outcome] = await this.persistCandle.execute([request]);
    return outcome as PersistCandleOutcome;
  }

  persistMany(requests: readonly PersistCandleRequest[]): Promise<PersistCandleOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.persistCandle.execute(requests);
  }
}
