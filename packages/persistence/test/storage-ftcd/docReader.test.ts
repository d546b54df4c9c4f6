/**
 * Clean-room check of docs/formats/ftcd.md: `fixtures/ftcdDocReader.ts` was written from the
 * document alone. Here the real store writes files through its public API; the doc reader
 * reads every `.ftcd` file and must return exactly what the store returns (Object.is on every
 * number, bins and optional bin fields included), and must classify damage as the document says.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  type FootprintCandleDTO,
  generateFootprintCandles,
  type PriceBinDTO,
  type TimeframeName,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { type OpenCandleStoreOptions, openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import {
  CODEC_COLUMNAR,
  CODEC_DEFLATE,
  crc32c,
  type DocCandle,
  type FtcdCoverage,
  type FtcdReadResult,
  GROUP_CONST,
  GROUP_DELTA,
  GROUP_PLAIN,
  GROUP_PREDICTED,
  GROUP_RAW,
  newCoverage,
  readFtcdFile,
} from './fixtures/ftcdDocReader';
import { ltcDayFile, useTempDirs } from './helpers';

const tempDir = useTempDirs();

/** The doc reader's candle type must be the DTO (both ways). */
const asDto = (candle: DocCandle): FootprintCandleDTO => candle;
const asDoc = (candle: FootprintCandleDTO): DocCandle => candle;
void asDto;
void asDoc;

type SeriesKey = string;
const seriesKey = (exchange: string, symbol: string, timeframe: string): SeriesKey =>
  `${exchange}/${symbol}/${timeframe}`;

/** What the store should hold: latest saved version per key. */
type Model = Map<SeriesKey, Map<number, FootprintCandleDTO>>;

function remember(model: Model, candles: readonly FootprintCandleDTO[]): void {
  for (const candle of candles) {
    const key = seriesKey(candle.ex, candle.s, candle.i);
    let series = model.get(key);
    if (series === undefined) {
      series = new Map();
      model.set(key, series);
    }
    series.set(candle.t, candle);
  }
}

// ---------------------------------------------------------------------------
// Candle data
// ---------------------------------------------------------------------------

const FAR_FUTURE = Date.UTC(2100, 0, 1);
const clone = (candle: FootprintCandleDTO): FootprintCandleDTO => structuredClone(candle);

/** Totals recomputed from the bins (float sums, as a producer would), extremes kept valid. */
function recomputeTotals(candle: FootprintCandleDTO): FootprintCandleDTO {
  let bv = 0;
  let sv = 0;
  let bq = 0;
  let sq = 0;
  let quoteComplete = true;
  for (const bin of candle.aggs) {
    bv += bin.bv;
    sv += bin.sv;
    if (bin.bq === undefined || bin.sq === undefined) quoteComplete = false;
    else {
      bq += bin.bq;
      sq += bin.sq;
    }
  }
  if (candle.aggs.length === 0) return candle;
  candle.bv = bv;
  candle.sv = sv;
  candle.v = bv + sv;
  candle.d = bv - sv;
  if (quoteComplete) {
    candle.bq = bq;
    candle.sq = sq;
    candle.q = bq + sq;
  }
  candle.dMax = Math.max(candle.dMax, candle.d, 0);
  candle.dMin = Math.min(candle.dMin, candle.d, 0);
  return candle;
}

function setBinBase(bin: PriceBinDTO, bv: number, sv: number): void {
  bin.bv = bv;
  bin.sv = sv;
  bin.v = bv + sv;
}

/**
 * Hand-made candles with awkward numbers: off the decimal grid (0.1+0.2, 1/3), 1e-9, -0,
 * subnormals, 1e300, bins with only some of bq/sq/q, an empty candle, a lone surrogate.
 */
function weirdCandles(): FootprintCandleDTO[] {
  const base = generateFootprintCandles({
    seed: 77,
    count: 12,
    bins: 5,
    symbol: 'WEIRD',
    tickValue: 0.01,
    startPrice: 90,
    emptyRatio: 0,
    startTime: Date.UTC(2025, 5, 1),
  });
  const out = base.map(clone);
  const bin = (c: number, j: number): PriceBinDTO => {
    const value = out[c]?.aggs[j];
    if (value === undefined) throw new Error(`no bin ${c}/${j}`);
    return value;
  };
  // c0: only some bins carry bq/sq/q.
  delete bin(0, 1).bq;
  delete bin(0, 1).sq;
  delete bin(0, 1).q;
  delete bin(0, 2).q;
  delete bin(0, 3).sq;
  delete bin(0, 3).q;
  // c1: values off any short decimal grid.
  setBinBase(bin(1, 0), 0.1 + 0.2, 1 / 3);
  setBinBase(bin(1, 1), 1e-9, 2.5e-9);
  setBinBase(bin(1, 2), 1.1 + 2.2, 0.7000000000000001);
  bin(1, 2).bq = 123.45678901234567;
  // c2: very large numbers.
  setBinBase(bin(2, 0), 1e300, 2);
  setBinBase(bin(2, 3), 3.5e299, 1e-300);
  // c3: negative zero everywhere in sells.
  for (const b of out[3]?.aggs ?? []) {
    setBinBase(b, b.bv, -0);
    b.sq = -0;
    b.q = (b.bq ?? 0) + -0;
  }
  // c4: a subnormal and many decimals.
  setBinBase(bin(4, 0), 5e-324, 0.123456789012345);
  setBinBase(bin(4, 1), 0.000000000123456789, 98765.4321);
  // c5: a bin price off the tick grid.
  bin(5, 2).tp = bin(5, 2).tp + 0.005;
  // c7: every bin's bv the same non-grid value (a CONST group).
  for (const b of out[7]?.aggs ?? []) setBinBase(b, 0.1 + 0.2, b.sv);
  // c9: huge (but safe) trade ids.
  const c9 = out[9] as FootprintCandleDTO;
  c9.f = 2 ** 53 - 100;
  c9.ls = 2 ** 53 - 2;
  for (const candle of out) recomputeTotals(candle);
  // c3 after totals: sv is -0 + -0 … = -0.
  // c6: an empty candle with -0 delta and extremes.
  const c6 = out[6] as FootprintCandleDTO;
  Object.assign(c6, {
    aggs: [],
    v: 0,
    bv: 0,
    sv: 0,
    q: 0,
    bq: 0,
    sq: 0,
    n: 0,
    d: -0,
    dMax: 0,
    dMin: -0,
    f: 0,
    ls: 0,
    h: c6.o,
    l: c6.o,
    c: c6.o,
  });
  // c8: still-open candle; asset text with a lone surrogate (not well-formed UTF-16).
  const c8 = out[8] as FootprintCandleDTO;
  c8.x = false;
  c8.a = 'spot\uD800x';
  // c10: a different asset text (text column with one string per candle).
  (out[10] as FootprintCandleDTO).a = 'spot';
  return out;
}

/**
 * Candles whose dMax is the same off-grid value in every candle (a CONST candle group), all
 * still open (x all false) and with well-formed asset texts differing per candle.
 */
function constCandles(): FootprintCandleDTO[] {
  return generateFootprintCandles({
    seed: 5,
    count: 10,
    bins: 3,
    symbol: 'CONSTX',
    startTime: Date.UTC(2025, 5, 1),
    emptyRatio: 0,
  }).map((candle, index) => ({ ...candle, dMax: 1e300, x: false, a: index % 2 === 0 ? 'spot' : 'perp' }));
}

/** A different candle for the same key. */
function changed(candle: FootprintCandleDTO): FootprintCandleDTO {
  const copy = clone(candle);
  copy.n += 1;
  const first = copy.aggs[0];
  if (first !== undefined) setBinBase(first, first.bv + 0.125, first.sv);
  return recomputeTotals(copy);
}

function ftcdPath(baseDir: string, candle: FootprintCandleDTO, partition: string): string {
  return join(baseDir, candle.ex, candle.s, candle.i, `${partition}.ftcd`);
}

/**
 * Writes the whole data set with the store's public API and returns the model of what
 * it must hold. Many series, timeframes and partition boundaries; one big saveMany, chunked
 * saveManys, many single saves, concurrent saves (group commit), re-saves.
 */
async function writeDataset(options: OpenCandleStoreOptions): Promise<Model> {
  const model: Model = new Map();
  const store = await openCandleStore(options);
  try {
    // 1. 50-bin candles, one big saveMany across a day boundary.
    const btc = generateFootprintCandles({ seed: 1, count: 1500, bins: 50, startTime: Date.UTC(2025, 5, 1) });
    await store.saveMany(btc);
    remember(model, btc);

    // 2. Variable bins and many empty candles, monthly partitions, across a month boundary.
    const eth = generateFootprintCandles({
      seed: 2,
      count: 400,
      bins: { min: 1, max: 200 },
      emptyRatio: 0.3,
      symbol: 'ETHUSDT',
      timeframe: '5m',
      startPrice: 2500,
      tickValue: 0.01,
      startTime: Date.UTC(2025, 5, 30, 20),
    });
    await store.saveMany(eth);
    remember(model, eth);

    // 3. No quote volumes; chunked saveMany.
    const sol = generateFootprintCandles({
      seed: 3,
      count: 800,
      bins: { min: 1, max: 30 },
      withQuoteVolumes: false,
      exchange: 'bybit',
      symbol: 'SOLUSDT',
      timeframe: '1h',
      startPrice: 150,
      tickValue: 0.001,
      startTime: Date.UTC(2025, 4, 15),
    });
    for (let from = 0; from < sol.length; from += 37) await store.saveMany(sol.slice(from, from + 37));
    remember(model, sol);

    // 4. Yearly partitions, two timeframes of one symbol, across a year boundary.
    for (const timeframe of ['4h', '1d'] as const) {
      const xrp = generateFootprintCandles({
        seed: timeframe === '4h' ? 4 : 5,
        count: timeframe === '4h' ? 300 : 60,
        bins: { min: 1, max: 20 },
        emptyRatio: 0.1,
        exchange: 'okx',
        symbol: 'XRPUSDT',
        timeframe,
        startPrice: 0.5,
        tickValue: 0.0001,
        startTime: Date.UTC(2024, 11, 1),
      });
      await store.saveMany(xrp);
      remember(model, xrp);
    }

    // 5. Live-like: one save per candle (a block each), then concurrent saves (group commit).
    const ltc = generateFootprintCandles({
      seed: 6,
      count: 150,
      bins: { min: 1, max: 8 },
      symbol: 'LTCUSDT',
      timeframe: '1s',
      startPrice: 90,
      tickValue: 0.01,
      emptyRatio: 0.2,
      startTime: Date.UTC(2025, 5, 1, 23, 59),
    });
    for (const candle of ltc.slice(0, 110)) await store.save(candle);
    await Promise.all(ltc.slice(110).map((candle) => store.save(candle)));
    remember(model, ltc);

    // 6. Awkward numbers; then the same key saved again, different (latest wins) and identical.
    const weird = weirdCandles();
    await store.saveMany(weird);
    remember(model, weird);
    const weirdFile = ftcdPath(options.baseDir, weird[0] as FootprintCandleDTO, '2025-06-01');
    const sizeBefore = (await stat(weirdFile)).size;
    await store.save(clone(weird[2] as FootprintCandleDTO));
    expect((await stat(weirdFile)).size, 'identical re-save writes nothing').toBe(sizeBefore);
    const newer = [changed(weird[1] as FootprintCandleDTO), changed(weird[6] as FootprintCandleDTO)];
    for (const candle of newer) await store.save(candle);
    remember(model, newer);
    expect((await stat(weirdFile)).size).toBeGreaterThan(sizeBefore);

    // 7. Re-saves inside big blocks: a saveMany of changed candles overlapping earlier blocks.
    const resaved = [btc[5], btc[250], btc[1439], btc[1440]].map((candle) =>
      changed(candle as FootprintCandleDTO),
    );
    await store.saveMany(resaved);
    remember(model, resaved);
    await store.save(changed(resaved[0] as FootprintCandleDTO));
    remember(model, [changed(resaved[0] as FootprintCandleDTO)]);

    // 8. A CONST candle group.
    const constant = constCandles();
    await store.saveMany(constant);
    remember(model, constant);

    await store.flush();
  } finally {
    await store.close();
  }
  return model;
}

// ---------------------------------------------------------------------------
// Reading and comparing
// ---------------------------------------------------------------------------

interface FileRead {
  path: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  partition: string;
  result: FtcdReadResult;
}

async function ftcdFiles(baseDir: string): Promise<string[]> {
  const entries = await readdir(baseDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ftcd'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function readAllFiles(baseDir: string, coverage: FtcdCoverage): Promise<FileRead[]> {
  const reads: FileRead[] = [];
  for (const path of await ftcdFiles(baseDir)) {
    const [exchange, symbol, timeframe, file] = relative(baseDir, path).split(sep) as [
      string,
      string,
      string,
      string,
    ];
    const partition = file.slice(0, -'.ftcd'.length);
    const result = readFtcdFile(await readFile(path), { exchange, symbol, timeframe, partition }, coverage);
    reads.push({ path, exchange, symbol, timeframe, partition, result });
  }
  return reads;
}

const BIN_KEYS = ['tp', 'bv', 'sv', 'v', 'bq', 'sq', 'q'] as const;

/** Every difference between two candle lists, with Object.is on every value. */
function differences(actual: readonly DocCandle[], expected: readonly DocCandle[], label: string): string[] {
  const found: string[] = [];
  if (actual.length !== expected.length)
    found.push(`${label}: ${actual.length} candles vs ${expected.length}`);
  const count = Math.min(actual.length, expected.length);
  for (let index = 0; index < count; index++) {
    const a = actual[index] as DocCandle;
    const b = expected[index] as DocCandle;
    const where = `${label}[${index}] t=${b.t}`;
    // Same keys in the same order (the document lists the decoded DTO's key order).
    const keysA = Object.keys(a).join(',');
    const keysB = Object.keys(b).join(',');
    if (keysA !== keysB) found.push(`${where}: keys ${keysA} vs ${keysB}`);
    for (const key of Object.keys(b) as (keyof DocCandle)[]) {
      if (key === 'aggs') continue;
      if (!Object.is(a[key], b[key])) found.push(`${where}.${key}: ${String(a[key])} vs ${String(b[key])}`);
    }
    if (a.aggs.length !== b.aggs.length) {
      found.push(`${where}.aggs: ${a.aggs.length} bins vs ${b.aggs.length}`);
      continue;
    }
    a.aggs.forEach((binA, j) => {
      const binB = b.aggs[j] as DocCandle['aggs'][number];
      if (Object.keys(binA).join(',') !== Object.keys(binB).join(',')) {
        found.push(
          `${where}.aggs[${j}]: key order ${Object.keys(binA).join(',')} vs ${Object.keys(binB).join(',')}`,
        );
      }
      for (const key of BIN_KEYS) {
        if (key in binA !== key in binB) found.push(`${where}.aggs[${j}].${key}: presence differs`);
        else if (!Object.is(binA[key], binB[key])) {
          found.push(`${where}.aggs[${j}].${key}: ${String(binA[key])} vs ${String(binB[key])}`);
        }
      }
      const extra = Object.keys(binA).filter((key) => !(BIN_KEYS as readonly string[]).includes(key));
      if (extra.length > 0) found.push(`${where}.aggs[${j}]: extra keys ${extra.join(',')}`);
    });
  }
  return found;
}

interface Totals {
  files: number;
  emptyFiles: number;
  blocks: number;
  candleVersions: number;
  candlesCompared: number;
  series: number;
}

/**
 * Reads every file with the doc reader and compares it with what a read-only store returns,
 * and with the model of what was saved. Returns the totals.
 */
async function compareWithStore(baseDir: string, model: Model, coverage: FtcdCoverage): Promise<Totals> {
  const reads = await readAllFiles(baseDir, coverage);
  const docSeries = new Map<SeriesKey, DocCandle[]>();
  for (const read of reads) {
    expect(read.result.problems, read.path).toEqual([]);
    expect(read.result.tornTail, read.path).toBeUndefined();
    const key = seriesKey(read.exchange, read.symbol, read.timeframe);
    docSeries.set(key, [...(docSeries.get(key) ?? []), ...read.result.candles]);
  }
  for (const candles of docSeries.values()) candles.sort((a, b) => a.t - b.t);
  for (const [key, candles] of [...docSeries]) if (candles.length === 0) docSeries.delete(key);

  const store = await openCandleStore({ baseDir, readOnly: true });
  const found: string[] = [];
  let compared = 0;
  try {
    const listed = (await store.listSeries()).map((s) => seriesKey(s.exchange, s.symbol, s.timeframe)).sort();
    expect([...docSeries.keys()].sort()).toEqual(listed);
    expect([...model.keys()].sort()).toEqual(listed);
    for (const [key, docCandles] of docSeries) {
      const [exchange, symbol, timeframe] = key.split('/') as [string, string, TimeframeName];
      const stored = await store.findBySymbol(symbol, exchange, timeframe, {
        startTime: 0,
        endTime: FAR_FUTURE,
        limit: 1_000_000,
        order: 'asc',
      });
      found.push(...differences(docCandles, stored, `doc-vs-store ${key}`));
      const expected = [...(model.get(key) ?? new Map()).values()].sort((a, b) => a.t - b.t);
      found.push(...differences(docCandles, expected, `doc-vs-saved ${key}`));
      compared += docCandles.length;
    }
  } finally {
    await store.close();
  }
  expect(found.slice(0, 20)).toEqual([]);
  return {
    files: reads.length,
    emptyFiles: reads.filter((read) => read.result.blocks.length === 0).length,
    blocks: reads.reduce((sum, read) => sum + read.result.blocks.length, 0),
    candleVersions: reads.reduce((sum, read) => sum + read.result.candleVersions, 0),
    candlesCompared: compared,
    series: docSeries.size,
  };
}

function describeCoverage(coverage: FtcdCoverage): string {
  const columns = [...coverage.groupKindsByColumn]
    .map(([column, kinds]) => `${column}:${[...kinds].sort().join('')}`)
    .join(' ');
  return [
    `blockKinds=${[...coverage.blockKinds].join(',')}`,
    `codecs=${[...coverage.codecs].sort().join(',')}`,
    `groupKinds=${[...coverage.groupKinds].sort().join(',')}`,
    `textModes=${[...coverage.textModes].sort().join(',')}`,
    `flagModes=${[...coverage.flagModes].sort().join(',')}`,
    `emptyFiles=${coverage.emptyFiles}`,
    `perColumn=${columns}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('ftcd format document: a reader written from docs/formats/ftcd.md alone', () => {
  it('implements CRC-32C as the document defines it', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });

  it('reads every file the store writes exactly as the store does (compression on and off)', async () => {
    const coverage = newCoverage();
    const totals: Totals[] = [];
    for (const options of [
      { compression: true, maxCandlesPerBlock: 100 },
      { compression: false },
      { compression: true },
    ] satisfies Partial<OpenCandleStoreOptions>[]) {
      const baseDir = await tempDir();
      const model = await writeDataset({ baseDir, ...options });
      totals.push(await compareWithStore(baseDir, model, coverage));
    }
    const sum = (key: keyof Totals): number => totals.reduce((total, t) => total + t[key], 0);
    console.log(
      `doc reader: ${sum('files')} files (${sum('emptyFiles')} header-only), ${sum('blocks')} blocks, ` +
        `${sum('candleVersions')} candle versions, ${sum('candlesCompared')} candles compared, ` +
        `${sum('series')} series\n${describeCoverage(coverage)}`,
    );

    // Coverage: every codec, every group kind, every text and flag mode the document defines.
    expect([...coverage.codecs].sort()).toEqual([CODEC_COLUMNAR, CODEC_DEFLATE]);
    expect([...coverage.groupKinds].sort()).toEqual([
      GROUP_CONST,
      GROUP_PLAIN,
      GROUP_DELTA,
      GROUP_PREDICTED,
      GROUP_RAW,
    ]);
    expect([...coverage.textModes].sort()).toEqual([0, 1, 2]);
    expect([...coverage.flagModes].sort()).toEqual([0, 1, 2]);
    // The document defines data blocks only: no index, summary or footer blocks exist.
    expect([...coverage.blockKinds]).toEqual(['FTBK']);
    // createPartitionsAhead (default on) leaves header-only files: valid, empty partitions.
    expect(coverage.emptyFiles).toBeGreaterThan(0);
  }, 180_000);

  it('reads a compacted file (written by the store after its partition is sealed)', async () => {
    const baseDir = await tempDir();
    const model: Model = new Map();
    const store = await openCandleStore({ baseDir, maxCandlesPerBlock: 50 });
    const ltc = generateFootprintCandles({
      seed: 9,
      count: 150,
      bins: { min: 1, max: 6 },
      emptyRatio: 0.1,
      symbol: 'LTCUSDT',
      timeframe: '1s',
      startTime: Date.UTC(2025, 5, 1, 23, 58),
    });
    const file = join(baseDir, 'binance', 'LTCUSDT', '1s', '2025-06-01.ftcd');
    let before: FtcdReadResult;
    let inodeBefore: number;
    let after: FtcdReadResult | undefined;
    try {
      // 120 live saves (a block each) plus a re-save in day 1: 121 blocks, one superseded version.
      for (const candle of ltc.slice(0, 120)) await store.save(candle);
      const resaved = changed(ltc[3] as FootprintCandleDTO);
      await store.save(resaved);
      remember(model, ltc.slice(0, 120));
      remember(model, [resaved]);
      before = readFtcdFile(await readFile(file));
      inodeBefore = (await stat(file)).ino;
      expect(before.blocks.length).toBe(121);
      expect(before.candleVersions).toBe(121);
      // Day 2 gets candles: day 1 is sealed; the writer compacts it in the background.
      for (const candle of ltc.slice(120)) await store.save(candle);
      remember(model, ltc.slice(120));
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if ((await stat(file)).ino !== inodeBefore) {
          after = readFtcdFile(await readFile(file));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await store.close();
    }
    // The copy: same header, latest version of each key in time order, blocks of ≤ 50, sequence from 0.
    expect(after, 'the store compacted the sealed partition').toBeDefined();
    const compacted = after as FtcdReadResult;
    expect(compacted.problems).toEqual([]);
    expect(compacted.header).toEqual(before.header);
    expect(compacted.blocks.map((block) => block.candleCount)).toEqual([50, 50, 20]);
    expect(compacted.blocks.map((block) => block.sequence)).toEqual([0, 1, 2]);
    expect(compacted.candleVersions).toBe(120);
    expect(differences(compacted.candles, before.candles, 'compacted-vs-original')).toEqual([]);
    await compareWithStore(baseDir, model, newCoverage());
  }, 60_000);

  describe('damage', () => {
    /** A day of 1m candles in 100-candle blocks, plus a file of single-candle blocks (codec 1). */
    async function damageSources(): Promise<{ baseDir: string; files: string[] }> {
      const baseDir = await tempDir();
      const store = await openCandleStore({ baseDir, maxCandlesPerBlock: 100, createPartitionsAhead: false });
      try {
        await store.saveMany(ltcDay(1440, 11));
        for (const candle of ltcDay(9, 12, Date.UTC(2025, 5, 2))) await store.save(candle);
      } finally {
        await store.close();
      }
      const files = [ltcDayFile(baseDir, '2025-06-01'), ltcDayFile(baseDir, '2025-06-02')];
      return { baseDir, files };
    }

    const ltcDay = (count: number, seed: number, start = Date.UTC(2025, 5, 1)) =>
      generateFootprintCandles({
        seed,
        count,
        bins: { min: 1, max: 40 },
        symbol: 'LTCUSDT',
        tickValue: 0.01,
        startPrice: 90,
        startTime: start,
      });

    /** The candles of `read` minus those of its block at `index` (blocks in time order, no overlap). */
    function withoutBlock(read: FtcdReadResult, index: number): DocCandle[] {
      const block = read.blocks[index];
      if (block === undefined) throw new Error(`no block ${index}`);
      return read.candles.filter((c) => c.t < block.firstOpenTime || c.t > block.lastOpenTime);
    }

    /** Reads `bytes` with the doc reader, and with a read-only store from a copy placed in a store layout. */
    async function readDamaged(
      bytes: Uint8Array,
      partition: string,
    ): Promise<{ doc: FtcdReadResult; store: DocCandle[] }> {
      const doc = readFtcdFile(bytes, { exchange: 'binance', symbol: 'LTCUSDT', timeframe: '1m', partition });
      const baseDir = await tempDir();
      await mkdir(join(baseDir, 'binance', 'LTCUSDT', '1m'), { recursive: true });
      await writeFile(ltcDayFile(baseDir, partition), bytes);
      const store = await openCandleStore({ baseDir, readOnly: true });
      try {
        const stored = await store.findBySymbol('LTCUSDT', 'binance', '1m', {
          startTime: 0,
          endTime: FAR_FUTURE,
          limit: 1_000_000,
          order: 'asc',
        });
        return { doc, store: stored };
      } finally {
        await store.close();
      }
    }

    it('a flipped payload bit is corruption: reported at its offset, every other block still read', async () => {
      const { files } = await damageSources();
      for (const [index, file] of files.entries()) {
        const original = new Uint8Array(await readFile(file));
        const clean = readFtcdFile(original);
        expect(clean.blocks.length).toBeGreaterThanOrEqual(3);
        const middle = Math.floor(clean.blocks.length / 2);
        const block = clean.blocks[middle] as FtcdReadResult['blocks'][number];
        const damaged = original.slice();
        const at = block.offset + 44 + Math.floor(block.payloadLength / 2);
        damaged[at] = (damaged[at] as number) ^ 0x10;
        const partition = index === 0 ? '2025-06-01' : '2025-06-02';
        const { doc, store } = await readDamaged(damaged, partition);
        expect(doc.problems).toEqual([
          {
            code: 'FTCD_CORRUPT_BLOCK',
            offset: block.offset,
            reason: 'block-crc',
            detail: 'block CRC mismatch',
          },
        ]);
        expect(doc.tornTail).toBeUndefined();
        expect(doc.quarantined).toBe(true);
        expect(doc.blocks.filter((b) => b.usable).length).toBe(clean.blocks.length - 1);
        const expected = withoutBlock(clean, middle);
        expect(doc.candles.length).toBe(clean.candles.length - block.candleCount);
        expect(differences(doc.candles, expected, 'flip')).toEqual([]);
        // The store (read-only, quarantined file) serves the same valid blocks.
        expect(differences(doc.candles, store, 'flip doc-vs-store')).toEqual([]);
      }
    }, 60_000);

    it('a damaged block header is corruption: resync on the next valid block', async () => {
      const { files } = await damageSources();
      const original = new Uint8Array(await readFile(files[0] as string));
      const clean = readFtcdFile(original);
      const middle = Math.floor(clean.blocks.length / 2);
      const block = clean.blocks[middle] as FtcdReadResult['blocks'][number];
      const damaged = original.slice();
      damaged[block.offset + 12] = (damaged[block.offset + 12] as number) ^ 0x01; // candleCount
      const { doc, store } = await readDamaged(damaged, '2025-06-01');
      expect(doc.problems.map((p) => [p.code, p.offset, p.reason])).toEqual([
        ['FTCD_CORRUPT_BLOCK', block.offset, 'block-header-crc'],
      ]);
      expect(differences(doc.candles, withoutBlock(clean, middle), 'header flip')).toEqual([]);
      expect(differences(doc.candles, store, 'header flip doc-vs-store')).toEqual([]);
    }, 60_000);

    it('a file cut inside its last block has a torn tail: not corruption, earlier blocks read', async () => {
      const { files } = await damageSources();
      for (const [index, file] of files.entries()) {
        const original = new Uint8Array(await readFile(file));
        const clean = readFtcdFile(original);
        const lastIndex = clean.blocks.length - 1;
        const last = clean.blocks[lastIndex] as FtcdReadResult['blocks'][number];
        const partition = index === 0 ? '2025-06-01' : '2025-06-02';
        const cuts: [number, 'payload-past-eof' | 'short'][] = [
          [last.offset + 44 + Math.floor(last.payloadLength / 2), 'payload-past-eof'],
          [last.offset + 44, 'payload-past-eof'],
          [last.offset + 20, 'short'],
        ];
        for (const [cut, reason] of cuts) {
          const { doc, store } = await readDamaged(original.slice(0, cut), partition);
          expect(doc.problems).toEqual([]);
          expect(doc.quarantined).toBe(false);
          expect(doc.tornTail).toEqual({ offset: last.offset, reason });
          expect(differences(doc.candles, withoutBlock(clean, lastIndex), `cut ${cut}`)).toEqual([]);
          expect(differences(doc.candles, store, `cut ${cut} doc-vs-store`)).toEqual([]);
        }
        // Zero bytes after the last block (e.g. a preallocated extent) are a torn tail too.
        const padded = new Uint8Array(original.length + 100);
        padded.set(original);
        const { doc, store } = await readDamaged(padded, partition);
        expect(doc.problems).toEqual([]);
        expect(doc.tornTail).toEqual({ offset: original.length, reason: 'zeros' });
        expect(differences(doc.candles, clean.candles, 'zeros')).toEqual([]);
        expect(differences(doc.candles, store, 'zeros doc-vs-store')).toEqual([]);
      }
    }, 60_000);

    /** Rewrites a block's header CRC and block CRC after an edit (a faulty writer, not a disk fault). */
    function resealBlock(bytes: Uint8Array, block: FtcdReadResult['blocks'][number]): void {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const at = block.offset;
      view.setUint32(at + 36, crc32c(bytes.subarray(at, at + 36)), true);
      const payload = bytes.subarray(at + 44, at + 44 + block.payloadLength);
      view.setUint32(at + 40, crc32c(bytes.subarray(at, at + 40), payload), true);
    }

    it('a sequence gap between CRC-valid blocks is reported, and the blocks are still read', async () => {
      const { files } = await damageSources();
      const original = new Uint8Array(await readFile(files[0] as string));
      const clean = readFtcdFile(original);
      const block = clean.blocks[1] as FtcdReadResult['blocks'][number];
      const damaged = original.slice();
      new DataView(damaged.buffer).setUint32(block.offset + 8, 99, true);
      resealBlock(damaged, block);
      const { doc, store } = await readDamaged(damaged, '2025-06-01');
      // "sequence ≠ previous + 1: corruption, continue": flagged at the renumbered block and,
      // reading "previous" as the previous block's stored sequence, at the block after it too.
      expect(doc.problems.map((p) => [p.code, p.reason, p.offset])).toEqual([
        ['FTCD_CORRUPT_BLOCK', 'sequence', block.offset],
        ['FTCD_CORRUPT_BLOCK', 'sequence', (clean.blocks[2] as FtcdReadResult['blocks'][number]).offset],
      ]);
      expect(differences(doc.candles, clean.candles, 'sequence gap')).toEqual([]);
      expect(differences(doc.candles, store, 'sequence gap doc-vs-store')).toEqual([]);
    }, 60_000);

    it("when the block of a key's latest version is corrupt, the earlier version is read again", async () => {
      const baseDir = await tempDir();
      const candles = ltcDay(5, 13);
      const newer = changed(candles[2] as FootprintCandleDTO);
      const store = await openCandleStore({ baseDir, createPartitionsAhead: false });
      try {
        await store.saveMany(candles);
        await store.save(newer);
        await store.save(ltcDay(6, 13)[5] as FootprintCandleDTO);
      } finally {
        await store.close();
      }
      const original = new Uint8Array(await readFile(ltcDayFile(baseDir, '2025-06-01')));
      const clean = readFtcdFile(original);
      expect(clean.blocks.map((b) => b.candleCount)).toEqual([5, 1, 1]);
      expect(clean.candles[2]?.n).toBe(newer.n);
      const block = clean.blocks[1] as FtcdReadResult['blocks'][number];
      const damaged = original.slice();
      damaged[block.offset + 50] = (damaged[block.offset + 50] as number) ^ 0x01;
      const { doc, store: stored } = await readDamaged(damaged, '2025-06-01');
      expect(doc.problems.map((p) => [p.code, p.reason])).toEqual([['FTCD_CORRUPT_BLOCK', 'block-crc']]);
      // The key is not missing: the superseded version from block 0 comes back (reader and store agree).
      expect(doc.candles.length).toBe(6);
      expect(doc.candles[2]?.n).toBe(candles[2]?.n);
      expect(differences(doc.candles, stored, 'resurfaced doc-vs-store')).toEqual([]);
    }, 60_000);

    it('a bad file header or a header naming another partition is not read', async () => {
      const { files } = await damageSources();
      const original = new Uint8Array(await readFile(files[0] as string));
      const damaged = original.slice();
      damaged[9] = (damaged[9] as number) ^ 0x20; // a letter of the exchange name
      expect(readFtcdFile(damaged).problems.map((p) => [p.code, p.reason])).toEqual([
        ['FTCD_BAD_FILE_HEADER', 'header-crc'],
      ]);
      const elsewhere = readFtcdFile(original, {
        exchange: 'binance',
        symbol: 'LTCUSDT',
        timeframe: '1m',
        partition: '2025-06-02',
      });
      expect(elsewhere.problems.map((p) => p.code)).toEqual(['FTCD_IDENTITY_MISMATCH']);
      expect(elsewhere.candles).toEqual([]);
    });
  });
});
