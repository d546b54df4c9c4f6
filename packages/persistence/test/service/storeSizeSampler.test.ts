import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreSizeSampler } from '../../src/shared/infrastructure/metrics/StoreSizeSampler';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowtrace-size-'));
  dirs.push(dir);
  return dir;
}

/** A store-like tree: `series` series directories of `files` files of `bytes` bytes each. */
function tree(base: string, series: number, files: number, bytes: number): number {
  for (let s = 0; s < series; s += 1) {
    const dir = join(base, 'binance', `S${s}USDT`, '1m');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f += 1) writeFileSync(join(dir, `2025-01-${f}.ftcd`), Buffer.alloc(bytes, 1));
  }
  return series * files * bytes;
}

describe('StoreSizeSampler', () => {
  it('sums the bytes of every file below the directory, nested ones included', async () => {
    const base = tempDir();
    const expected = tree(base, 3, 4, 1000) + 17;
    writeFileSync(join(base, 'rejected.jsonl'), Buffer.alloc(17));
    expect(await new StoreSizeSampler(base).bytes()).toBe(expected);
  });

  it('is 0 for a store directory that does not exist yet', async () => {
    expect(await new StoreSizeSampler(join(tempDir(), 'not-yet')).bytes()).toBe(0);
  });

  it('answers from the last walk until it is older than maxAgeMs, then walks again', async () => {
    const base = tempDir();
    const first = tree(base, 1, 2, 500);
    const sampler = new StoreSizeSampler(base, 50);
    expect(await sampler.bytes()).toBe(first);
    appendFileSync(join(base, 'binance', 'S0USDT', '1m', '2025-01-0.ftcd'), Buffer.alloc(300));
    // Within maxAgeMs: the size of the last walk.
    expect(await sampler.bytes()).toBe(first);
    // Older (50 ms, or 50 times the last walk on a loaded machine): a new walk starts, and an
    // answer after it ends is the new size. Polled, so that a slow walk cannot fail the test.
    const deadline = Date.now() + 10_000;
    let bytes = first;
    while (bytes === first && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      bytes = await sampler.bytes();
    }
    expect(bytes).toBe(first + 300);
  });

  it('lets the event loop run while it walks a large store', async () => {
    const base = tempDir();
    const expected = tree(base, 40, 250, 10);
    let turns = 0;
    let walking = true;
    const tick = (): void => {
      turns += 1;
      if (walking) setImmediate(tick);
    };
    setImmediate(tick);
    const bytes = await new StoreSizeSampler(base).bytes();
    walking = false;
    expect(bytes).toBe(expected);
    // 10,000 files: the walk gave the loop back (between directories and between slices).
    expect(turns).toBeGreaterThan(10);
  });
});
