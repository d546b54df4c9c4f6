import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/lib/chaos';
import { daemonEntryArgs } from '../../scripts/lib/repo';

/**
 * kill -9 under load, against the real daemon process (see docs/proof.md).
 * `pnpm chaos --kills N` runs the same harness for longer.
 */
describe.each([
  ['.ftcd files (default)', false, 50],
  ['SQLite FlatBuffers', true, 20],
])(`chaos on %s (${daemonEntryArgs('daemon').label})`, (label, useDatabase, kills) => {
  it(`survives ${kills} SIGKILLs: every promised candle stored once and identical, queue drained, verify clean`, async () => {
    const report = await runChaos({ kills, useDatabase, seed: 42 + kills });
    const d = report.delivery;
    console.log(
      `chaos ${label}: ${report.kills} kills ${JSON.stringify(report.killsByPoint)}, promised ${d.promised} ` +
        `(${d.promisedViaSocket} socket, ${d.promisedViaQueue} queue), lost ${d.lost}, duplicates ${d.duplicates}, ` +
        `corrupted ${d.corrupted}, queue ${JSON.stringify(d.queue)}, verify ${d.verifyExitCode}, ` +
        `${(report.durationMs / 1000).toFixed(1)} s`,
    );
    expect(d.problems).toEqual([]);
    expect(report.kills).toBe(kills);
    expect(report.killsByPoint['during-start-up']).toBeGreaterThan(0);
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
  }, 420_000);
});
