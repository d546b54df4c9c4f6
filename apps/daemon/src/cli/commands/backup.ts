import { parseArgs } from 'node:util';
import { backupStore } from '@flowtrace/persistence/shared/storage';
import { CliError } from '../CliError';
import { createDirectories, isInside, removeEmptyDirectories } from '../directories';
import type { Output, Warn } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { Progress } from '../progress';

export const backupHelp = `Usage: flowtrace backup <store> <destination> [--format text|json]

Copies a store (.ftcd files or SQLite databases, and the other files in its
directory such as the rejected-candles log) into <destination>, while the
daemon keeps writing. Every candle acknowledged before the backup started is
in it, and the copy opens clean:
- .ftcd files are copied up to their last whole block (a block being appended
  at that moment is left out). They are append-only, so a destination that
  already holds an earlier backup gets only the blocks each file gained since;
  a file rewritten since (compaction, repair) is copied whole.
- SQLite databases are copied with VACUUM INTO (a consistent snapshot in one
  read transaction).
- A damaged .ftcd file is copied byte for byte and reported (exit 0; run
  "flowtrace repair" on the store).
Each file is durable in the destination (fsync'd, renamed into place) before
the next. Files removed from the store stay in the destination. To restore,
stop the daemon and copy the destination back as the store directory.
A destination that cannot be created is refused (exit 1), and directories the
backup created are removed again when it fails before copying into them.
Exit code 0 when done, 1 on failure.`;

export async function backupCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' } },
  });
  const [source, destination] = positionals;
  rejectExtraPositionals(positionals, 2);
  if (!source || !destination) throw new CliError('missing <store> or <destination>');
  if (values.format !== 'text' && values.format !== 'json')
    throw new CliError('--format must be text or json');
  // backupStore refuses a destination inside the store before creating anything: none is made there first.
  const created = isInside(destination, source)
    ? []
    : createDirectories(destination, 'the backup destination');
  const progress = new Progress(process.stderr.isTTY === true);
  let files = 0;
  let bytes = 0;
  const report = await backupStore(source, destination, {
    onFile: (file) => {
      files += 1;
      bytes += file.bytes;
      if (file.damaged) warn(`${file.path} is damaged (${file.damaged}): copied as it is`);
      progress.update(`${files} files, ${bytes.toLocaleString('en-US')} bytes written`);
    },
  }).catch((error: unknown) => {
    removeEmptyDirectories(created);
    throw new CliError((error as Error).message, 1);
  });
  progress.done();
  if (values.format === 'json') out.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const count = (mode: string) => report.files.filter((file) => file.mode === mode).length;
    out.write(
      `backed up ${report.files.length} file(s) to ${report.destination}: ${count('copied')} copied, ${count('appended')} appended, ${count('unchanged')} unchanged; ${report.bytesWritten} bytes written\n`,
    );
  }
  return 0;
}
