import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CommandLine } from './commandLine';
import { DaemonConfigError } from './errors';
import { parseSettingValue, SETTINGS, setPath } from './settings';

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

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DaemonConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new DaemonConfigError(
      `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DaemonConfigError(`config file ${path} must contain an object of settings`);
  }
  return parsed as Record<string, unknown>;
}

export function configFromEnv(env: NodeJS.ProcessEnv): {
  config: Record<string, unknown>;
  unknown: string[];
} {
  const config: Record<string, unknown> = {};
  const known = new Set(['FLOWTRACE_CONFIG', 'FLOWTRACE_DATA_DIR', ...SETTINGS.map((s) => s.env)]);
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

/** Defaults, then the config file, then FLOWTRACE_* variables, then flags. */
export function loadDaemonConfig(commandLine: CommandLine, env: NodeJS.ProcessEnv): DaemonConfig {
  const dataDir = commandLine.dataDir ?? env.FLOWTRACE_DATA_DIR ?? 'data';
  const configPath = commandLine.configPath ?? env.FLOWTRACE_CONFIG;
  const sources = [`defaults (data dir ${resolve(dataDir)})`];
  const file = configPath === undefined ? {} : readConfigFile(configPath);
  if (configPath !== undefined) sources.push(`file ${resolve(configPath)}`);
  const fromEnv = configFromEnv(env);
  if (Object.keys(fromEnv.config).length > 0) sources.push('environment');
  if (Object.keys(commandLine.overrides).length > 0) sources.push('flags');
  const merged = mergeLayers(defaultConfig(dataDir), file, fromEnv.config, commandLine.overrides);

  const { logLevel, ...persistence } = merged;
  if (typeof logLevel !== 'string' || !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new DaemonConfigError(
      `logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(logLevel)}`,
    );
  }
  return { logLevel: logLevel as LogLevel, persistence, sources, unknownEnv: fromEnv.unknown };
}
