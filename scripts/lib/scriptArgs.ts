/**
 * Argument handling shared by the repository's scripts (`pnpm bench`, `pnpm
 * chaos`, `pnpm soak`), which own their process: `--help` prints the usage
 * (exit 0); an unknown option or a bad value prints one line naming it and
 * where the usage is (exit 2), instead of a stack trace, or of a run of many
 * minutes that silently ignored a typo.
 */

/** Prints `usage` and exits 0 when the arguments ask for help. */
export function exitWithUsageIfAsked(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
}

/** A usage error: one line, then where the usage is; exit 2. */
export function exitWithUsageError(script: string, message: string): never {
  process.stderr.write(`pnpm ${script}: ${message}\nRun 'pnpm ${script} --help' for usage.\n`);
  process.exit(2);
}

/** Runs node:util parseArgs (or any parser): its errors (unknown option, missing value) are usage errors. */
export function parseOrExit<T>(script: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    // node:util's advice on positionals that start with '-' does not apply to these scripts.
    const message = (error as Error).message.replace(/\.?\s*To specify a positional argument.*$/s, '');
    return exitWithUsageError(script, message);
  }
}

/** The option's value as a whole number within [min, max], or a usage error naming it. */
export function integerOption(
  script: string,
  option: string,
  raw: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max)
    exitWithUsageError(
      script,
      `--${option} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}; got "${raw}"`,
    );
  return value;
}

/** The option's value if it is one of `allowed`, or a usage error listing them. */
export function choiceOption<T extends string>(
  script: string,
  option: string,
  raw: string,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly string[]).includes(raw))
    exitWithUsageError(script, `--${option} must be one of ${allowed.join(', ')}; got "${raw}"`);
  return raw as T;
}
