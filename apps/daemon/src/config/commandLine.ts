import { parseArgs } from 'node:util';
import { UsageError } from './errors';
import { parseArgsUsageMessage } from './parseArgsError';
import { parseSettingValue, SETTINGS, setPath } from './settings';

export interface CommandLine {
  configPath: string | undefined;
  dataDir: string | undefined;
  printConfig: boolean;
  help: boolean;
  version: boolean;
  /** Settings given as flags, as a partial config object. */
  overrides: Record<string, unknown>;
}

/** Parses `flowtrace-persistence [--config path] [--print-config] [--<setting> value]…`. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
    'print-config': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const s of SETTINGS) options[s.flag] = { type: 'string' };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError(parseArgsUsageMessage(error, argv) ?? (error as Error).message);
  }
  for (const flag of ['config', 'data-dir'] as const) {
    if (values[flag] === '') throw new UsageError(`--${flag} is empty; give a path`);
  }
  const overrides: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = values[s.flag];
    if (typeof raw !== 'string') continue;
    try {
      setPath(overrides, s.path, parseSettingValue(s, raw, `--${s.flag}`));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    configPath: typeof values.config === 'string' ? values.config : undefined,
    dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined,
    printConfig: values['print-config'] === true,
    help: values.help === true,
    version: values.version === true,
    overrides,
  };
}

export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.flag.length)) + 10;
  const rows = SETTINGS.map(
    (s) => `  --${`${s.flag} <${s.type}>`.padEnd(width)} ${s.description} [${s.env}]`,
  );
  return [
    'Usage: flowtrace-persistence [options]',
    '',
    'Runs the FlowTrace candle persistence daemon. Settings come from defaults, then',
    'the config file, then FLOWTRACE_* environment variables, then flags (last wins).',
    '',
    'Options:',
    `  ${'-c, --config <path>'.padEnd(width + 2)} JSON or YAML config file [FLOWTRACE_CONFIG]`,
    `  ${'--data-dir <path>'.padEnd(width + 2)} base of the default socket, queue and store paths (default ./data) [FLOWTRACE_DATA_DIR]`,
    `  ${'--print-config'.padEnd(width + 2)} print the merged configuration as JSON and exit`,
    `  ${'-h, --help'.padEnd(width + 2)} show this help`,
    `  ${'-v, --version'.padEnd(width + 2)} show the version`,
    '',
    'Settings:',
    ...rows,
    '',
    'Exit codes: 0 stopped cleanly, 1 fatal error, 2 bad command line, 78 bad configuration,',
    '124 graceful stop exceeded its deadline, 130 forced by a second signal.',
  ].join('\n');
}
