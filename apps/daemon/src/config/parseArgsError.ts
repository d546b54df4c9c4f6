/**
 * Node's parseArgs usage errors as one line that says what to type. Its own
 * messages span up to three lines, suggest `--` for a positional (no command
 * here takes one starting with `-`) with an unbalanced quote, and name a
 * missing value `'-t, --to <value>'`. Used by the daemon's command line and
 * by every `flowtrace` command. Undefined for any other error.
 */
export function parseArgsUsageMessage(error: unknown, argv: readonly string[]): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  // What Node quotes first: the option or argument as typed (`'--bogus'`), which may hold a quote itself.
  const quoted = /^\w+ \w+ '(.*?)'(?:\. |$)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return quoted === undefined ? oneLine(message) : `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      // Said as a command's extra positional is (positionals.ts).
      return quoted === undefined ? oneLine(message) : `unexpected argument "${quoted}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return invalidValueMessage(message, argv) ?? oneLine(message);
    default:
      return undefined;
  }
}

function invalidValueMessage(message: string, argv: readonly string[]): string | undefined {
  // `'-t, --to <value>' argument missing`: the option was the last argument.
  const missing = /^Option '(?:-\w, )?(-[^' ]+)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `option ${missing[1]} needs a value`;
  // `'--to' argument is ambiguous`: the next argument starts with '-', so it was not taken
  // as the value (`--to -5`). Node's own hint names the long option, for a short one too.
  const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous?.[1] !== undefined) {
    const typed = ambiguous[1];
    const long = /use '(--[^=']+)=/.exec(message)?.[1] ?? typed;
    // The first such pair (parseArgs stops at the first error): `--to 5 --to -3` names -3.
    const at = argv.findIndex((arg, i) => arg === typed && argv[i + 1]?.startsWith('-') === true);
    const next = at < 0 ? undefined : argv[at + 1];
    return `option ${long} needs a value; one starting with "-" is written ${long}=${next ?? '<value>'}`;
  }
  const flag = /^Option '([^']+)' does not take an argument/.exec(message);
  if (flag) return `option ${flag[1]} takes no value`;
  return undefined;
}

/** Node's message on one line, as the daemon prints it: a usage error is this line and the hint. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
