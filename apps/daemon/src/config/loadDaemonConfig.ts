import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { closestName, editDistance } from '@flowtrace/core';
import { isScalar, parseDocument } from 'yaml';
import type { CommandLine } from './commandLine';
import { DaemonConfigError } from './errors';
import { getPath, parseOctal, parseSettingValue, SETTINGS, setPath } from './settings';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The merged configuration: the persistence config plus the daemon's own `logLevel`. */
export interface DaemonConfig {
  logLevel: LogLevel;
  /** Passed to `bootstrap()` unchanged; it validates it and reports every problem. */
  persistence: Record<string, unknown>;
  /** Where each layer came from, for --print-config and the start-up log. */
  sources: string[];
  /** FLOWTRACE_* variables that match no setting (likely typos). */
  unknownEnv: string[];
}

/** Embedded defaults: everything under one data directory, health on loopback:3001. */
export function defaultConfig(dataDir: string): Record<string, unknown> {
  const dir = resolve(dataDir);
  return {
    socketPath: resolve(dir, 'flowtrace.sock'),
    queuePath: resolve(dir, 'queue.db'),
    storage: { baseDir: resolve(dir, 'candles') },
    healthCheckPort: 3001,
    logLevel: 'info',
  };
}

const OCTAL_SETTINGS = SETTINGS.filter((s) => s.type === 'octal');

/**
 * Reads a YAML or JSON config file into a partial config object. An empty
 * document (an empty file, or only comments) is no settings. Octal settings
 * (`socketMode`) are converted to numbers here: see `octalFromFile`.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DaemonConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const json = extname(path).toLowerCase() === '.json';
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(text) : parseYamlKeepingOctalSource(text);
  } catch (error) {
    throw new DaemonConfigError(
      `config file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // YAML: an empty document, or one of comments only, parses as null. Every key is optional.
  if (!json && (parsed === null || parsed === undefined)) return {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DaemonConfigError(`config file ${path} must contain an object of settings`);
  }
  const config = parsed as Record<string, unknown>;
  for (const s of OCTAL_SETTINGS) {
    const value = getPath(config, s.path);
    if (value !== undefined) setPath(config, s.path, octalFromFile(value, s.path, path));
  }
  return config;
}

/**
 * Parses YAML, but keeps an octal setting written as a plain number as its
 * source text: YAML 1.2 reads `socketMode: 0660` as the decimal 660, and
 * `0o660` as 432; the text is what the operator meant, in octal digits.
 */
function parseYamlKeepingOctalSource(text: string): unknown {
  const document = parseDocument(text);
  const [first] = document.errors;
  if (first) throw first;
  const parsed: unknown = document.toJS();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return parsed;
  for (const s of OCTAL_SETTINGS) {
    const node = document.getIn(s.path.split('.'), true);
    if (isScalar(node) && typeof node.value === 'number' && node.source !== undefined)
      setPath(parsed as Record<string, unknown>, s.path, node.source);
  }
  return parsed;
}

/**
 * An octal setting in a config file: a string (`"0660"`, `"0o660"`) or, from
 * JSON (which has no octal numbers), a number whose digits are read in octal
 * like chmod's (`660`). Anything else is a configuration error naming the key.
 */
function octalFromFile(value: unknown, key: string, file: string): number {
  const text =
    typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))
      ? String(value)
      : undefined;
  const mode = text === undefined ? undefined : parseOctal(text);
  if (mode === undefined) {
    throw new DaemonConfigError(
      `config file ${file}: ${key} must be an octal permission such as 0600 or 0660 (in JSON, a string: "0660"); got ${JSON.stringify(value)}`,
    );
  }
  return mode;
}

const KNOWN_ENV: readonly string[] = [
  'FLOWTRACE_CONFIG',
  'FLOWTRACE_DATA_DIR',
  ...SETTINGS.map((s) => s.env),
];

export function configFromEnv(env: NodeJS.ProcessEnv): {
  config: Record<string, unknown>;
  unknown: string[];
} {
  const config: Record<string, unknown> = {};
  const known = new Set(KNOWN_ENV);
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined) continue;
    try {
      setPath(config, s.path, parseSettingValue(s, raw, s.env));
    } catch (error) {
      throw new DaemonConfigError((error as Error).message);
    }
  }
  const unknown = Object.keys(env).filter((k) => k.startsWith('FLOWTRACE_') && !known.has(k));
  return { config, unknown };
}

/** The known variable an unknown one most likely misspells, if one is close. */
export function closestKnownEnv(name: string): string | undefined {
  const squeeze = (v: string) => v.replace(/_/g, '');
  return closestName(name, KNOWN_ENV, 3, (known, candidate) =>
    squeeze(known) === squeeze(candidate) ? 0 : editDistance(known, candidate),
  );
}

/** The warning about an unknown FLOWTRACE_* variable (logged by the daemon, printed by --print-config). */
export function unknownEnvWarning(name: string): { message: string; suggestion?: string } {
  const suggestion = closestKnownEnv(name);
  return {
    message: `unknown FLOWTRACE_* environment variable ${name} ignored${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
    ...(suggestion ? { suggestion } : {}),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; later layers win; arrays and scalars are replaced. */
export function mergeLayers(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key];
      out[key] = isPlainObject(current) && isPlainObject(value) ? mergeLayers(current, value) : value;
    }
  }
  return out;
}

/** Settings that name files or directories: made absolute where they are read (see absolutePaths). */
const PATH_SETTINGS = ['socketPath', 'queuePath', 'storage.baseDir', 'rejectedLogPath'] as const;

/**
 * A copy of `layer` with its relative paths resolved against `base`: a config
 * file's paths against the file's directory (a file should mean the same
 * whatever directory the daemon is started in: systemd uses `/` unless the
 * unit sets WorkingDirectory), variables' and flags' against the working
 * directory.
 */
function absolutePaths(layer: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = structuredClone(layer);
  for (const path of PATH_SETTINGS) {
    const value = getPath(out, path);
    if (typeof value === 'string' && value !== '') setPath(out, path, resolve(base, value));
  }
  return out;
}

/** What `bootstrap()` names these files when they are not set (persistence's defaults). */
const REJECTED_LOG_FILE = 'rejected-candles.jsonl';
const SQLITE_DATABASE_FILE = 'candles-flatbuffers.db';

/**
 * The socket, the queue database, the rejected-candles log and the store must
 * each have a path of their own: given the same one, the socket server refuses
 * the queue's file as "not a socket" (exit 1, restarted in vain), and a
 * rejected-candles log on the queue database is appended to it and cut off
 * again by SQLite (rejections lost, silently). Only a configuration change
 * fixes that: a configuration error (exit 78) naming both settings.
 */
function assertDistinctPaths(config: Record<string, unknown>): void {
  const text = (path: string) => {
    const value = getPath(config, path);
    return typeof value === 'string' && value !== '' ? resolve(value) : undefined;
  };
  const baseDir = text('storage.baseDir');
  const files: Array<[string, string | undefined]> = [
    ['socketPath', text('socketPath')],
    ['queuePath', text('queuePath')],
    [
      'rejectedLogPath',
      text('rejectedLogPath') ?? (baseDir === undefined ? undefined : resolve(baseDir, REJECTED_LOG_FILE)),
    ],
  ];
  const taken: Array<[string, string]> = [];
  if (baseDir !== undefined) {
    taken.push(['storage.baseDir', baseDir]);
    if (getPath(config, 'storage.useDatabase') === true)
      taken.push(['storage.baseDir (its SQLite database)', resolve(baseDir, SQLITE_DATABASE_FILE)]);
  }
  for (const [name, path] of files) {
    if (path === undefined) continue;
    const clash = taken.find(([, other]) => other === path);
    if (clash) {
      throw new DaemonConfigError(
        `${name} and ${clash[0]} are the same path ${path}; each needs a path of its own`,
      );
    }
    taken.push([name, path]);
  }
}

/** Defaults, then the config file, then FLOWTRACE_* variables, then flags. */
export function loadDaemonConfig(commandLine: CommandLine, env: NodeJS.ProcessEnv): DaemonConfig {
  const dataDir = commandLine.dataDir ?? env.FLOWTRACE_DATA_DIR ?? 'data';
  const configPath = commandLine.configPath ?? env.FLOWTRACE_CONFIG;
  // An empty variable is a mistake (`Environment=FLOWTRACE_DATA_DIR=`), not "the working
  // directory" or a file named ''. (Empty flags are refused by parseCommandLine, exit 2.)
  if (dataDir === '')
    throw new DaemonConfigError('FLOWTRACE_DATA_DIR is empty; give a directory or unset it');
  if (configPath === '') throw new DaemonConfigError('FLOWTRACE_CONFIG is empty; give a file or unset it');
  const sources = [`defaults (data dir ${resolve(dataDir)})`];
  const file =
    configPath === undefined ? {} : absolutePaths(readConfigFile(configPath), dirname(resolve(configPath)));
  if (configPath !== undefined) sources.push(`file ${resolve(configPath)}`);
  const fromEnv = configFromEnv(env);
  if (Object.keys(fromEnv.config).length > 0) sources.push('environment');
  if (Object.keys(commandLine.overrides).length > 0) sources.push('flags');
  const merged = mergeLayers(
    defaultConfig(dataDir),
    file,
    absolutePaths(fromEnv.config, process.cwd()),
    absolutePaths(commandLine.overrides, process.cwd()),
  );

  const { logLevel, ...persistence } = merged;
  assertDistinctPaths(persistence);
  if (typeof logLevel !== 'string' || !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new DaemonConfigError(
      `logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(logLevel)}`,
    );
  }
  return { logLevel: logLevel as LogLevel, persistence, sources, unknownEnv: fromEnv.unknown };
}
