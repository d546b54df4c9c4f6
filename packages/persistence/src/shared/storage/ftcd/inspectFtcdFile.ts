import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BinarySerializer } from '../serialization/binary/BinarySerializer';
import { BLOCK_HEADER_SIZE, type BlockHeader, decodeFileHeader, type FtcdFileHeader } from './ftcdLayout';
import { scanBlocks } from './scanBlocks';

export interface InspectedBlock extends BlockHeader {
  offset: number;
  totalLength: number;
  /** `ok`: CRC valid and the payload decodes to `candleCount` candles. */
  status: 'ok' | 'undecodable';
  error?: string;
}

export interface FtcdFileReport {
  path: string;
  size: number;
  header?: FtcdFileHeader;
  headerError?: string;
  blocks: InspectedBlock[];
  /** Damaged regions (bad header / CRC / sequence), with the offset where each starts. */
  corruptions: { offset: number; reason: string; message: string }[];
  /** Offset of an incomplete last block (a crashed append), when there is one. */
  tornTailAt?: number;
  candles: number;
  /** True when the header, every block and the tail are clean. */
  healthy: boolean;
}

/** Scans one `.ftcd` file without changing it: its header and every block with its CRC and decode status. */
export async function inspectFtcdFile(
  path: string,
  options: { decode?: boolean } = {},
): Promise<FtcdFileReport> {
  const bytes = await readFile(path);
  const report: FtcdFileReport = {
    path,
    size: bytes.length,
    blocks: [],
    corruptions: [],
    candles: 0,
    healthy: false,
  };
  try {
    report.header = decodeFileHeader(bytes);
  } catch (error) {
    report.headerError = (error as Error).message;
    return report;
  }
  const scan = scanBlocks(bytes, report.header.length, 0);
  report.corruptions = scan.corruptions.map(({ offset, reason, message }) => ({ offset, reason, message }));
  if (scan.tornTailAt !== undefined) report.tornTailAt = scan.tornTailAt;
  for (const block of scan.blocks) {
    const inspected: InspectedBlock = { ...block, status: 'ok' };
    if (options.decode !== false) {
      try {
        const payload = bytes.subarray(block.offset + BLOCK_HEADER_SIZE, block.offset + block.totalLength);
        const candles = BinarySerializer.decodeBlock(block.codec, payload);
        if (candles.length !== block.candleCount)
          throw new Error('candle count disagrees with the block header');
      } catch (error) {
        inspected.status = 'undecodable';
        inspected.error = (error as Error).message;
      }
    }
    report.candles += block.candleCount;
    report.blocks.push(inspected);
  }
  report.healthy =
    report.corruptions.length === 0 &&
    report.tornTailAt === undefined &&
    report.blocks.every((b) => b.status === 'ok');
  return report;
}

export interface StoreVerification {
  baseDir: string;
  files: FtcdFileReport[];
  /** Files that are not healthy. */
  unhealthy: FtcdFileReport[];
  blocks: number;
  candles: number;
  healthy: boolean;
}

/** Inspects every `.ftcd` file under `baseDir` (read-only; safe beside a running writer, which may show a torn tail). */
export async function verifyStore(baseDir: string): Promise<StoreVerification> {
  const files: FtcdFileReport[] = [];
  for (const path of await findFtcdFiles(baseDir)) files.push(await inspectFtcdFile(path));
  const unhealthy = files.filter((file) => !file.healthy);
  return {
    baseDir,
    files,
    unhealthy,
    blocks: files.reduce((sum, file) => sum + file.blocks.length, 0),
    candles: files.reduce((sum, file) => sum + file.candles, 0),
    healthy: unhealthy.length === 0,
  };
}

async function findFtcdFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(current, entry.name);
      if (entry.isDirectory() && !relative(dir, path).startsWith(`..${sep}`)) await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ftcd')) found.push(path);
    }
  };
  await walk(dir);
  return found;
}
