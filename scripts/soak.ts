/**
 * `pnpm soak [--minutes M] [--producers N] [--store ftcd|sqlite]`: measures the
 * daemon's peak for ~5 s, then holds half of it for M minutes and reports RSS,
 * heap, file descriptors, event-loop lag and ack latency (see docs/proof.md).
 */
import { parseArgs } from 'node:util';
import { choiceOption, exitWithUsageIfAsked, integerOption, parseOrExit } from './lib/scriptArgs';
import { runSoak, SOAK_MAX_OPEN_FILES } from './lib/soak';

const USAGE = `Usage: pnpm soak [--minutes M] [--producers N] [--store ftcd|sqlite]

Measures the daemon's peak for about 5 s, then holds half of it for M minutes
(default 10) with N producer processes (default 2) and reports RSS, heap, file
descriptors, event-loop lag and ack latency: exit 0 when RSS grew less than
10 % after warm-up and file descriptors stayed bounded, 1 otherwise
(docs/proof.md).`;

exitWithUsageIfAsked(USAGE);
const { values } = parseOrExit('soak', () =>
  parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      producers: { type: 'string', default: '2' },
      store: { type: 'string', default: 'ftcd' },
    },
  }),
);
const store = choiceOption('soak', 'store', values.store, ['ftcd', 'sqlite'] as const);
const report = await runSoak({
  minutes: integerOption('soak', 'minutes', values.minutes, 1),
  producers: integerOption('soak', 'producers', values.producers, 1),
  useDatabase: store === 'sqlite',
  log: (line) => process.stdout.write(`  ${line}\n`),
});
const { samples: _samples, ...summary } = report;
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
// The .ftcd store keeps up to SOAK_MAX_OPEN_FILES partition files open here (LRU pool): its
// fds rise until the pool is full, then stay put. SQLite holds a fixed set.
const fdSpread = report.fds.maxAfterWarmUp - report.fds.minAfterWarmUp;
const fdsOk =
  store === 'sqlite'
    ? fdSpread <= 4
    : report.fds.maxAfterWarmUp <= report.fds.atStart + SOAK_MAX_OPEN_FILES + 8;
const ok = report.failed === 0 && report.rejected === 0 && report.rss.growthPercent < 10 && fdsOk;
process.stdout.write(
  `soak ${ok ? 'OK' : 'FAILED'}: RSS growth after warm-up ${report.rss.growthPercent}% (goal < 10%), ` +
    `fds ${report.fds.minAfterWarmUp}..${report.fds.maxAfterWarmUp} after warm-up, ${report.fds.atStart} at start ` +
    `(goal: ${store === 'sqlite' ? 'constant' : `bounded by the ${SOAK_MAX_OPEN_FILES}-file pool`})\n`,
);
process.exitCode = ok ? 0 : 1;
