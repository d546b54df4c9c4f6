import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { describeCandleStorageContract } from './candleStorageContract';

describeCandleStorageContract('InMemoryCandleStorage', {
  open: async () => InMemoryCandleStorage.open(),
  reopens: false,
  propertyRuns: 100,
});
