import { BinarySerializer } from '../serialization/binary/BinarySerializer';
import type { CandleColumns } from '../serialization/binary/CandleColumns';
import { encodeBlock } from './ftcdLayout';
import type { BlockLocation } from './PartitionIndex';

/** One candle to write: a row of a save's staging columns or of a decoded block. */
export interface CandleRow {
  readonly columns: CandleColumns;
  readonly row: number;
}

/** Blocks ready to be written at `offset`, with what the index needs once they are durable. */
export interface EncodedBlocks {
  readonly chunks: Uint8Array[];
  readonly blocks: { readonly location: BlockLocation; readonly times: number[] }[];
  /** File offset just after the last block. */
  readonly end: number;
}

/**
 * Encodes `candles` (sorted by open time, one per key) as consecutive blocks of
 * at most `perBlock` candles, numbered from `firstSequence`, placed from file
 * offset `offset`.
 */
export function encodeBlocks(
  candles: readonly CandleRow[],
  options: { perBlock: number; compression: boolean; firstSequence: number; offset: number },
): EncodedBlocks {
  const chunks: Uint8Array[] = [];
  const blocks: { location: BlockLocation; times: number[] }[] = [];
  let offset = options.offset;
  for (let first = 0; first < candles.length; first += options.perBlock) {
    const part = candles.slice(first, first + options.perBlock);
    // A view of the encoder's buffer when uncompressed: encodeBlock below copies it into the block.
    const { codec, payload } = BinarySerializer.encodeRowsBlockView(
      part.map((candle) => candle.columns),
      part.map((candle) => candle.row),
      options.compression,
    );
    const sequence = options.firstSequence + blocks.length;
    const times = part.map((candle) => candle.columns.openTime(candle.row));
    const firstOpenTime = times[0]!;
    const lastOpenTime = times[times.length - 1]!;
    const bytes = encodeBlock(
      { sequence, candleCount: part.length, firstOpenTime, lastOpenTime, codec },
      payload,
    );
    chunks.push(bytes);
    blocks.push({
      location: {
        offset,
        totalLength: bytes.length,
        sequence,
        candleCount: part.length,
        firstOpenTime,
        lastOpenTime,
        codec,
      },
      times,
    });
    offset += bytes.length;
  }
  return { chunks, blocks, end: offset };
}
