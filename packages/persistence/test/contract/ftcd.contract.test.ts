import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { describeCandleStorageContract } from './candleStorageContract';

describeCandleStorageContract('BinaryStorageAdapter (.ftcd)', {
  open: async (dir) => BinaryStorageAdapter.open({ baseDir: dir, maxCandlesPerBlock: 4 }),
  reopens: true,
  propertyRuns: 200,
  // Compaction of sealed partitions (forced: the runs are too short to fragment many files). Reads must not change.
  maintain: (store) => (store as BinaryStorageAdapter).compact({ force: true }),
});
