import { SQLiteFlatBufferStorage } from '../../src/features/candlePersistence/infrastructure/adapters/SQLiteFlatBufferStorage';
import { describeCandleStorageContract } from './candleStorageContract';

describeCandleStorageContract('SQLiteFlatBufferStorage (one database)', {
  open: (dir) => SQLiteFlatBufferStorage.open({ baseDir: dir }),
  reopens: true,
  propertyRuns: 150,
});

// Small pages make iteration cross page boundaries even with the contract's few candles.
describeCandleStorageContract('SQLiteFlatBufferStorage (organizeByExchange, 2-candle pages)', {
  open: (dir) =>
    SQLiteFlatBufferStorage.open({ baseDir: dir, organizeByExchange: true, maxCandlesPerBlock: 2 }),
  reopens: true,
  propertyRuns: 100,
});
