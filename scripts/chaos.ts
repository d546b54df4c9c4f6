/**
 * `pnpm chaos [--kills N] [--store ftcd|sqlite|both] [--seed S] [--keep]`:
 * SIGKILLs the real daemon N times under load and checks that every promise
 * the producers got was kept (see docs/proof.md). Exits 1 when one was not.
 */
import { parseArgs } from 'node:util';
import { type ChaosReport, runChaos } from './lib/chaos';
import {
  choiceOption,
  exitWithUsageError,
  exitWithUsageIfAsked,
  integerOption,
  parseOrExit,
} from './lib/scriptArgs';

const USAGE = `Usage: pnpm chaos [--kills N] [--store ftcd|sqlite|both] [--seed S] [--keep]
                  [--min-up-ms MS] [--max-up-ms MS]

SIGKILLs the real daemon N times (default 50) under load, on each store kind
(default both), and checks that every promise the producers got was kept:
exit 0 when all were, 1 when one was not (docs/proof.md). --keep leaves the
run's directory in place; the daemon runs MIN..MAX ms (default 300..1000)
between kills.`;

exitWithUsageIfAsked(USAGE);
const { values } = parseOrExit('chaos', () =>
  parseArgs({
    options: {
      kills: { type: 'string', default: '50' },
      store: { type: 'string', default: 'both' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      keep: { type: 'boolean', default: false },
      'min-up-ms': { type: 'string', default: '300' },
      'max-up-ms': { type: 'string', default: '1000' },
    },
  }),
);
const kills = integerOption('chaos', 'kills', values.kills, 1);
const seed = integerOption('chaos', 'seed', values.seed, 0);
const minUpMs = integerOption('chaos', 'min-up-ms', values['min-up-ms'], 0);
const maxUpMs = integerOption('chaos', 'max-up-ms', values['max-up-ms'], 0);
if (maxUpMs < minUpMs)
  exitWithUsageError('chaos', `--max-up-ms (${maxUpMs}) is below --min-up-ms (${minUpMs})`);
const store = choiceOption('chaos', 'store', values.store, ['ftcd', 'sqlite', 'both'] as const);
const stores = store === 'both' ? [false, true] : [store === 'sqlite'];
const reports: ChaosReport[] = [];
for (const useDatabase of stores) {
  process.stdout.write(`chaos: ${kills} kills on ${useDatabase ? 'SQLite' : '.ftcd'} (seed ${seed})\n`);
  const report = await runChaos({
    kills,
    useDatabase,
    seed,
    keep: values.keep,
    minUpMs,
    maxUpMs,
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
