import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FootprintCandleDTO } from '@flowtrace/core';
import type { LegacyCandleContext } from '../../../CandleTransformer';
import { LegacyFtcdFormatError } from '../FlatBufferErrors';
import { FlatBufferSerializer } from '../FlatBufferSerializer';
import { type LegacyDefaultsReport, LegacyDefaultsTally } from './LegacyDefaultsTally';

/** `FBCD`: magic of the original platform's `.ftcd` files. */
export const LEGACY_FTCD_MAGIC = Buffer.from('FBCD', 'ascii');
const HEADER_BYTES = 8;

export interface LegacyFtcdContents {
  /** Candles in file order (the original writer's insertion order, not time order). */
  candles: FootprintCandleDTO[];
  /** What had to be defaulted (the original file writer never stored e, tz, a, vi nor per-bin quote volumes). */
  report: LegacyDefaultsReport;
}

/**
 * Reads an original-platform `.ftcd` file: `FBCD`, u32 LE payload length, one
 * FlatBuffer `CandleBatch` (also for a single candle). Read only.
 */
export async function readLegacyFtcdFile(
  path: string,
  context?: LegacyCandleContext,
): Promise<LegacyFtcdContents> {
  return decodeLegacyFtcd(await readFile(path), path, context);
}

export function decodeLegacyFtcd(
  bytes: Uint8Array,
  source = 'legacy .ftcd',
  context?: LegacyCandleContext,
): LegacyFtcdContents {
  if (bytes.byteLength < HEADER_BYTES || Buffer.compare(bytes.subarray(0, 4), LEGACY_FTCD_MAGIC) !== 0) {
    throw new LegacyFtcdFormatError(`${source} does not start with the FBCD magic`);
  }
  const length = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(4);
  if (HEADER_BYTES + length > bytes.byteLength) {
    throw new LegacyFtcdFormatError(
      `${source} declares a ${length}-byte payload but only ${bytes.byteLength - HEADER_BYTES} bytes follow the header`,
    );
  }
  const payload = bytes.subarray(HEADER_BYTES, HEADER_BYTES + length);
  const decoded = new FlatBufferSerializer().deserializeBatchWithReport(payload, context, {
    legacyFile: true,
  });
  const tally = new LegacyDefaultsTally();
  for (const candle of decoded) tally.add(candle);
  return { candles: decoded.map((entry) => entry.candle), report: tally.report() };
}

/** Where the original platform kept a series: `{baseDir}/candles/{exchange}_{symbol}_{timeframe}.ftcd`. */
export function legacyFtcdPath(baseDir: string, exchange: string, symbol: string, timeframe: string): string {
  const clean = (part: string) => part.replace(/[^A-Za-z0-9]/g, '_');
  return join(baseDir, 'candles', `${clean(exchange)}_${clean(symbol)}_${clean(timeframe)}.ftcd`);
}
