import { describe, expect, it } from 'vitest';
import { daemonEntryArgs } from '../../scripts/lib/repo';
import { runSoak } from '../../scripts/lib/soak';

/**
 * The short CI version of `pnpm soak --minutes 10` (docs/proof.md): ~5 s of
 * peak measurement, then 40 s at half the peak against the real daemon.
 * SQLite store: one database file, so every descriptor it holds is fixed and
 * "constant fds" is exact (the .ftcd store opens a file per day partition and
 * keeps up to 128 of them, so its count rises until that pool is full).
 */
describe(`soak (${daemonEntryArgs('daemon').label})`, () => {
  it('holds half the peak for 40 s with constant fds and bounded RSS after warm-up', async () => {
    const report = await runSoak({ minutes: 40 / 60, producers: 2, useDatabase: true, sampleEveryMs: 1_000 });
    const { samples, ...summary } = report;
    console.log(`soak: ${JSON.stringify(summary)}`);
    expect(report.failed).toBe(0);
    expect(report.rejected).toBe(0);
    expect(report.acked + report.queued).toBeGreaterThan(report.offeredPerSecond * 30);
    expect(samples.length).toBeGreaterThan(20);
    expect(report.fds.maxAfterWarmUp - report.fds.minAfterWarmUp).toBeLessThanOrEqual(4);
    // Generous in CI (the 10-minute goal is < 10 %): 40 s is mostly GC noise.
    expect(report.rss.growthPercent).toBeLessThan(50);
  }, 180_000);
});
