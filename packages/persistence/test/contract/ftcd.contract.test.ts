import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { describeCandleStorageContract } from './candleStorageContract';

describeCandleStorageContract('BinaryStorageAdapter (.ftcd)', {
  open: async (dir) => BinaryStorageAdapter.open({ baseDir: dir, maxCandlesPerBlock: 4 }),
  reopens: true,
  propertyRuns: 40,
});
