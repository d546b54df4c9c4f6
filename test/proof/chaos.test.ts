import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/lib/chaos';
import { FTCD_KILL_POINTS, SQLITE_KILL_POINTS } from '../../scripts/lib/chaosKillArgs';
import { daemonEntryArgs } from '../../scripts/lib/repo';

/**
 * kill -9 under load, against the real daemon process (see docs/proof.md):
 * rotating through the store's exact named points (the daemon's probe kills it
 * there), random moments while serving, and moments before READY.
 * `pnpm chaos --kills N` runs the same harness for longer.
 */
describe.each([
  ['.ftcd files (default)', false, 50, FTCD_KILL_POINTS, 4],
  ['SQLite FlatBuffers', true, 20, SQLITE_KILL_POINTS, 2],
] as const)(
  `chaos on %s (${daemonEntryArgs('daemon').label})`,
  (label, useDatabase, kills, points, eachAtLeast) => {
    it(`survives ${kills} SIGKILLs: every promised candle stored once and identical, queue drained, verify clean`, async () => {
      const report = await runChaos({ kills, useDatabase, seed: 42 + kills });
      const d = report.delivery;
      console.log(
        `chaos ${label}: ${report.kills} kills ${JSON.stringify(report.killsByPoint)} (${report.probeMisses} probe misses), promised ${d.promised} ` +
          `(${d.promisedViaSocket} socket, ${d.promisedViaQueue} queue), lost ${d.lost}, duplicates ${d.duplicates}, ` +
          `corrupted ${d.corrupted}, queue ${JSON.stringify(d.queue)}, verify ${d.verifyExitCode}, ` +
          `final drain ${(report.drainMs / 1000).toFixed(1)} s, ${(report.durationMs / 1000).toFixed(1)} s`,
      );
      expect(d.problems).toEqual([]);
      expect(report.kills).toBe(kills);
      expect(report.killsByPoint['during-start-up']).toBeGreaterThan(0);
      // Every named point of this store was hit exactly, several times (planned: kills / (points + 2) each).
      for (const point of points)
        expect(report.killsByPoint[point], point).toBeGreaterThanOrEqual(eachAtLeast);
      expect(d.promised).toBeGreaterThan(1000);
      expect(d.promisedViaSocket).toBeGreaterThan(0);
      expect(d.promisedViaQueue).toBeGreaterThan(0);
      expect(d.lost).toBe(0);
      expect(d.duplicates).toBe(0);
      expect(d.corrupted).toBe(0);
      expect(d.queueRowsNotProcessed).toBe(0);
      expect(d.queue).toMatchObject({ pending: 0, inFlight: 0, dead: 0 });
      expect(d.verifyExitCode, d.verifyOutput).toBe(0);
      expect(report.publishRejected).toBe(0);
      expect(report.publishFailed).toBe(0);
      expect(report.ok).toBe(true);
    }, 900_000);
  },
);
