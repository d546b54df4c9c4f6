/**
 * `pnpm chaos [--kills N] [--store ftcd|sqlite|both] [--seed S] [--keep]`:
 * SIGKILLs the real daemon N times under load and checks that every promise
 * the producers got was kept (see docs/proof.md). Exits 1 when one was not.
 */
import { parseArgs } from 'node:util';
import { type ChaosReport, runChaos } from './lib/chaos';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '50' },
    store: { type: 'string', default: 'both' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    keep: { type: 'boolean', default: false },
    'min-up-ms': { type: 'string', default: '300' },
    'max-up-ms': { type: 'string', default: '1000' },
  },
});
const stores = values.store === 'both' ? [false, true] : [values.store === 'sqlite'];
const reports: ChaosReport[] = [];
for (const useDatabase of stores) {
  process.stdout.write(
    `chaos: ${values.kills} kills on ${useDatabase ? 'SQLite' : '.ftcd'} (seed ${values.seed})\n`,
  );
  const report = await runChaos({
    kills: Number(values.kills),
    useDatabase,
    seed: Number(values.seed),
    keep: values.keep,
    minUpMs: Number(values['min-up-ms']),
    maxUpMs: Number(values['max-up-ms']),
    log: (line) => process.stdout.write(`  ${line}\n`),
  });
  reports.push(report);
  const d = report.delivery;
  process.stdout.write(
    [
      `  store ${report.store}: ${report.kills} kills survived (${JSON.stringify(report.killsByPoint)}), ${report.restarts} restarts reached READY`,
      `  promised ${d.promised} candles (${d.promisedViaSocket} acknowledged on the socket, ${d.promisedViaQueue} durably queued)`,
      `  lost ${d.lost}, duplicates ${d.duplicates}, corrupted ${d.corrupted}, stored ${d.storedCandles}`,
      `  queue after drain: ${JSON.stringify(d.queue)}, queued promises not processed ${d.queueRowsNotProcessed}`,
      `  publish rejected ${report.publishRejected}, publish failed ${report.publishFailed}`,
      `  flowtrace verify exit ${d.verifyExitCode}`,
      ...d.problems.map((p) => `  PROBLEM: ${p}`),
      `  ${report.ok ? 'OK' : 'FAILED'} in ${(report.durationMs / 1000).toFixed(1)} s`,
      '',
    ].join('\n'),
  );
}
process.exitCode = reports.every((r) => r.ok) ? 0 : 1;
