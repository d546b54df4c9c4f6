import { closestName } from '@flowtrace/core';
import { parseArgsUsageMessage } from '../config/parseArgsError';
import { packageVersion } from '../version';
import { CliError } from './CliError';
import { backupCommand, backupHelp } from './commands/backup';
import { compactCommand, compactHelp } from './commands/compact';
import { exportCommand, exportHelp } from './commands/export';
import { importCommand, importHelp } from './commands/import';
import { inspectCommand, inspectHelp } from './commands/inspect';
import { migrateCommand, migrateHelp } from './commands/migrate';
import { publishCommand, publishHelp } from './commands/publish';
import { queryCommand, queryHelp } from './commands/query';
import { queueCommand, queueHelp } from './commands/queue';
import { repairCommand, repairHelp } from './commands/repair';
import { seriesCommand, seriesHelp } from './commands/series';
import { verifyCommand, verifyHelp } from './commands/verify';
import { errorText } from './errorText';
import type { Output, Warn } from './output';

interface Command {
  summary: string;
  help: string;
  /** Messages of errors it throws and of its warnings carry no command prefix: runCli adds it. */
  run(argv: string[], out: Output, warn: Warn): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  series: { summary: 'list stored series with ranges and counts', help: seriesHelp, run: seriesCommand },
  query: { summary: 'print the candles of one series in a time range', help: queryHelp, run: queryCommand },
  export: { summary: 'stream a store or series to JSON lines or CSV', help: exportHelp, run: exportCommand },
  import: { summary: 'save exported JSON lines or CSV into a store', help: importHelp, run: importCommand },
  publish: {
    summary: 'hand exported JSON lines or CSV to the running daemon (its queue while it is down)',
    help: publishHelp,
    run: publishCommand,
  },
  inspect: {
    summary: 'show a .ftcd file header and blocks with CRC status',
    help: inspectHelp,
    run: inspectCommand,
  },
  verify: {
    summary: 'full integrity scan of a store; exit 1 on corruption',
    help: verifyHelp,
    run: verifyCommand,
  },
  migrate: {
    summary: 'copy a store into another format, or import legacy data; resumable',
    help: migrateHelp,
    run: migrateCommand,
  },
  compact: {
    summary: 'rewrite sealed .ftcd partitions left in small blocks (not while the daemon runs)',
    help: compactHelp,
    run: compactCommand,
  },
  backup: {
    summary: 'copy a store consistently while the daemon writes; later runs copy only what is new',
    help: backupHelp,
    run: backupCommand,
  },
  queue: {
    summary: 'show the fallback queue (pending, dead letters); requeue or drop dead letters',
    help: queueHelp,
    run: queueCommand,
  },
  repair: {
    summary:
      'rewrite damaged .ftcd files from their whole blocks, keeping the originals (not while the daemon runs)',
    help: repairHelp,
    run: repairCommand,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: flowtrace <command> [options]',
    '',
    'Looks inside FlowTrace candle stores (.ftcd block files or FlatBuffers in SQLite).',
    'Read commands open stores read-only and work while the daemon writes.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -v, --version  show the version',
    '',
    'Run "flowtrace <command> --help" for the options of a command.',
    'Times are epoch milliseconds or ISO-8601 (UTC unless a zone is given).',
  ].join('\n');
}

/**
 * The line after a usage error: where the options are. The whole help would
 * bury the one line that says what was wrong (git, docker and npm do the same).
 */
function usageHint(command: string): string {
  return `Run 'flowtrace ${command} --help' for usage.\n`;
}

/** Runs one CLI invocation; resolves with the exit code (0 ok, 1 failure/corruption, 2 usage). */
export async function runCli(
  argv: readonly string[],
  out: Output,
  err: (text: string) => void,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    // Asked for: the help on stdout, exit 0. No command at all: a usage error (stderr, exit 2).
    if (name === undefined) {
      err(`${mainHelp()}\n`);
      return 2;
    }
    out.write(`${mainHelp()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    // The daemon's `-v/--version` answer: both are the same package.
    out.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const suggestion = closestName(name, Object.keys(COMMANDS), 2);
    err(
      `flowtrace: unknown command "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}\n` +
        `Run 'flowtrace --help' for the commands.\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, out, (message) => err(`flowtrace ${name}: warning: ${message}\n`));
  } catch (error) {
    if (error instanceof CliError) {
      err(`flowtrace ${name}: ${error.message}\n${error.exitCode === 2 ? usageHint(name) : ''}`);
      return error.exitCode;
    }
    // parseArgs' own usage errors, in one line: a stray positional (migrate takes none) is one too.
    const usage = parseArgsUsageMessage(error, rest);
    if (usage !== undefined) {
      err(`flowtrace ${name}: ${usage}\n${usageHint(name)}`);
      return 2;
    }
    err(`flowtrace ${name}: ${errorText(error)}\n`);
    return 1;
  }
}
