import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FootprintCandleDTO, generateFootprintCandles, type TimeframeName } from '@flowtrace/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeriesInfo } from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { expectSameCandles } from '../contract/candleAssertions';
import { decodeCandleLine } from './storeFixtureCandles';

/**
 * Stores written by earlier versions (test/formats/written-*, see
 * writeStoreFixture.ts) stay readable, exactly, and writable: candles are
 * kept "forever", so no later reader may lose what an earlier writer wrote.
 * A failure here means stores on users' disks would read differently: fix the
 * reader, never the fixture.
 */
const FIXTURES = fileURLToPath(new URL('.', import.meta.url));
const written = readdirSync(FIXTURES).filter((name) => name.startsWith('written-'));
const temp = mkdtempSync(join(tmpdir(), 'flowtrace-fixtures-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const order = (a: FootprintCandleDTO, b: FootprintCandleDTO): number =>
  a.ex.localeCompare(b.ex) || a.s.localeCompare(b.s) || a.i.localeCompare(b.i) || a.t - b.t;

function seriesOf(candles: readonly FootprintCandleDTO[]): SeriesInfo[] {
  const series = new Map<string, SeriesInfo>();
  for (const c of candles) {
    const key = `${c.ex}/${c.s}/${c.i}`;
    const info = series.get(key);
    if (info === undefined)
      series.set(key, {
        exchange: c.ex,
        symbol: c.s,
        // The fixture's candles were stored: their timeframe is a known one.
        timeframe: c.i as TimeframeName,
        firstOpenTime: c.t,
        lastOpenTime: c.t,
        count: 1,
      });
    else {
      info.firstOpenTime = Math.min(info.firstOpenTime, c.t);
      info.lastOpenTime = Math.max(info.lastOpenTime, c.t);
      info.count += 1;
    }
  }
  return [...series.values()];
}

const bySeries = (a: SeriesInfo, b: SeriesInfo): number =>
  a.exchange.localeCompare(b.exchange) ||
  a.symbol.localeCompare(b.symbol) ||
  a.timeframe.localeCompare(b.timeframe);

it('at least one store fixture is committed', () => {
  expect(written.length).toBeGreaterThan(0);
});

describe.each(written)('the stores of %s', (fixture) => {
  const expected = readFileSync(join(FIXTURES, fixture, 'expected.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map(decodeCandleLine)
    .sort(order);

  describe.each([
    ['.ftcd block files', 'ftcd', false],
    ['FlatBuffer blocks in SQLite', 'sqlite', true],
  ] as const)('%s', (_label, kind, useDatabase) => {
    it('read exactly what was written: every series, every candle, every number (Object.is)', async () => {
      const baseDir = join(temp, `${fixture}-${kind}-read`);
      cpSync(join(FIXTURES, fixture, kind), baseDir, { recursive: true });
      await using store = await openCandleStore({ baseDir, useDatabase, readOnly: true });
      expect((await store.listSeries()).sort(bySeries)).toEqual(seriesOf(expected).sort(bySeries));
      for (const info of seriesOf(expected)) {
        const read = await store.findBySymbol(info.symbol, info.exchange, info.timeframe);
        const wanted = expected.filter(
          (c) => c.ex === info.exchange && c.s === info.symbol && c.i === info.timeframe,
        );
        expectSameCandles(read, wanted, `${info.exchange}/${info.symbol}/${info.timeframe}`);
      }
      const streamed: FootprintCandleDTO[] = [];
      for await (const candle of store.iterate()) streamed.push(candle);
      expectSameCandles(streamed.sort(order), expected, 'iterate()');
    });

    it('take new saves: a candle appended to an old partition and a correction of an old candle', async () => {
      const baseDir = join(temp, `${fixture}-${kind}-write`);
      cpSync(join(FIXTURES, fixture, kind), baseDir, { recursive: true });
      const last = expected.filter((c) => c.s === 'LTCUSDT').at(-1)!;
      const [next] = generateFootprintCandles({
        seed: 9,
        count: 1,
        bins: 5,
        symbol: 'LTCUSDT',
        tickValue: 0.01,
        startPrice: 80,
        startTime: last.t + 60_000,
      });
      const first = expected.find((c) => c.s === 'LTCUSDT')!;
      const correction = { ...first, vi: first.vi + 1 };
      {
        await using store = await openCandleStore({ baseDir, useDatabase });
        await store.saveMany([next!, correction]);
      }
      await using reopened = await openCandleStore({ baseDir, useDatabase, readOnly: true });
      const now = [...expected.filter((c) => c !== first), correction, next!].sort(order);
      const read = await reopened.findBySymbol('LTCUSDT', 'binance', '1m');
      expectSameCandles(
        read,
        now.filter((c) => c.s === 'LTCUSDT'),
      );
      expect(read).toHaveLength(expected.filter((c) => c.s === 'LTCUSDT').length + 1);
    });
  });
});
