import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { describeCandleStorageContract } from './candleStorageContract';

describeCandleStorageContract('BinaryStorageAdapter (.ftcd)', {
  open: async (dir) => BinaryStorageAdapter.open({ baseDir: dir, maxCandlesPerBlock: 4 }),
  reopens: true,
  propertyRuns: 200,
  // Compaction of sealed partitions (forced: the runs are too short to fragment many files). Reads must not change.
  maintain: (store) => (store as BinaryStorageAdapter).compact({ force: true }),
});

// No index budget: after each commit cycle every partition index but the last used is released,
// so saves after a partition's last candle grow its summary and other saves and reads reload it.
describeCandleStorageContract('BinaryStorageAdapter (.ftcd, indexMemoryBytes 0)', {
  open: async (dir) =>
    BinaryStorageAdapter.open({ baseDir: dir, maxCandlesPerBlock: 4, indexMemoryBytes: 0 }),
  reopens: true,
  propertyRuns: 100,
});
