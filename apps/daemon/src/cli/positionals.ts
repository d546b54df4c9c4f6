import { CliError } from './CliError';

/**
 * A command takes at most `max` positional arguments; one more is a usage error
 * (exit 2), never silently ignored: `flowtrace export <store> out.jsonl` (the
 * `--out` forgotten) would stream to stdout and leave out.jsonl unwritten, and
 * `flowtrace import <store> a.jsonl b.jsonl` would import only a.jsonl.
 */
export function rejectExtraPositionals(positionals: readonly string[], max: number): void {
  const extra = positionals[max];
  if (extra !== undefined) throw new CliError(`unexpected argument "${extra}"`);
}
