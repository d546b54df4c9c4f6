import { explainUnsafeName } from '@flowtrace/core';
import { CliError } from './CliError';

/**
 * `--exchange` and `--symbol`, each checked when given by the rule a save
 * applies: a name no store can hold (`BTC/USDT`, `../x`) is a mistake in the
 * command (exit 2, like an unknown `--timeframe`), said before anything is
 * opened or written, not an empty result.
 */
export function checkNameOptions(values: {
  readonly exchange?: string | undefined;
  readonly symbol?: string | undefined;
}): void {
  for (const option of ['exchange', 'symbol'] as const) {
    const value = values[option];
    const problem = value === undefined ? undefined : explainUnsafeName(value);
    if (problem !== undefined) throw new CliError(`--${option} ${JSON.stringify(value)} ${problem}`);
  }
}
