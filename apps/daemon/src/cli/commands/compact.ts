import { parseArgs } from 'node:util';
import { CliError } from '../CliError';
import { openFtcdWriter } from '../openStore';
import type { Output } from '../output';
import { rejectExtraPositionals } from '../positionals';

export const compactHelp = `Usage: flowtrace compact <store> [--force] [--format text|json]

Rewrites the sealed partitions of a .ftcd store (every partition of a series
but its newest one) that live saves left in many small blocks, or that hold
superseded versions: the latest version of every candle in full blocks, in a
new file renamed over the old one. Reads of those files get faster and the
files smaller; no candle changes. The daemon does this by itself in the
background (storage.compactSealedPartitions); this command is for a store the
daemon does not run on (it takes the writer's lock, so it exits 1 while the
daemon holds the store). Crash-safe: the original stays until its complete,
fsync'd copy replaces it. --force rewrites every sealed partition holding more
blocks than its candles need.`;

export async function compactCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { force: { type: 'boolean', default: false }, format: { type: 'string', default: 'text' } },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  if (values.format !== 'text' && values.format !== 'json')
    throw new CliError('--format must be text or json');
  const store = await openFtcdWriter(baseDir, 'only .ftcd stores are compacted (SQLite stores use VACUUM)');
  try {
    const report = await store.compact({ force: values.force });
    if (values.format === 'json') out.write(`${JSON.stringify(report)}\n`);
    else {
      const saved = report.bytesBefore - report.bytesAfter;
      out.write(
        `compacted ${report.partitions} partition file(s), ${report.candles} candles: ${report.bytesBefore} -> ${report.bytesAfter} bytes (${saved} saved)\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}
