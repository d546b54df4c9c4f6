/**
 * Every setting the daemon takes from a config file, the environment or a flag,
 * with its path in the merged config. One table drives all three sources, so a
 * setting cannot exist in one and be forgotten in another.
 */
export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'octal';

export interface Setting {
  /** Dotted path in the config object, e.g. `storage.baseDir`. */
  path: string;
  /** Environment variable, e.g. `FLOWTRACE_STORAGE_BASE_DIR`. */
  env: string;
  /** Long flag without dashes, e.g. `storage-base-dir`. */
  flag: string;
  type: SettingType;
  description: string;
}

const setting = (path: string, type: SettingType, description: string): Setting => {
  const words = path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return {
    path,
    type,
    description,
    env: `FLOWTRACE_${words.toUpperCase()}`,
    flag: words.toLowerCase().replace(/_/g, '-'),
  };
};

export const SETTINGS: readonly Setting[] = Object.freeze([
  setting('socketPath', 'string', 'Unix socket producers connect to'),
  setting(
    'socketMode',
    'octal',
    'permission bits of the socket file, octal: 0600 owner only (default), 0660 also its group',
  ),
  setting('queuePath', 'string', 'SQLite fallback queue file drained by the poller'),
  setting('storage.baseDir', 'string', 'directory of the candle store'),
  setting('storage.useDatabase', 'boolean', 'store FlatBuffer blocks in SQLite instead of .ftcd files'),
  setting('storage.organizeByExchange', 'boolean', 'SQLite store: one database per exchange'),
  setting('storage.maxCandlesPerBlock', 'integer', 'candles per storage block at most'),
  setting('storage.walMode', 'boolean', 'SQLite store: WAL journal'),
  setting('storage.cacheSize', 'integer', 'SQLite store: page cache size in KB'),
  setting('storage.mmapSize', 'integer', 'SQLite store: memory-mapped I/O size in bytes'),
  setting(
    'storage.compactSealedPartitions',
    'boolean',
    '.ftcd store: rewrite sealed partitions left in small blocks, in the background',
  ),
  setting('storage.compression', 'boolean', '.ftcd store: DEFLATE block payloads when it saves >= 10 %'),
  setting('storage.maxOpenFiles', 'integer', '.ftcd store: idle file handles kept open'),
  setting('storage.blockCacheBytes', 'integer', '.ftcd store: bytes of decoded blocks cached for reads'),
  setting('storage.indexMemoryBytes', 'integer', '.ftcd store: bytes of whole partition indexes kept'),
  setting(
    'storage.createPartitionsAhead',
    'boolean',
    ".ftcd store: create each series' next partition file ahead, in the background",
  ),
  setting(
    'storage.verifyInBackground',
    'boolean',
    '.ftcd store: read the files opening skipped while quiet, so damage shows in health',
  ),
  setting(
    'storage.minFreeBytes',
    'integer',
    'free bytes on the store filesystem below which health is degraded (0: never)',
  ),
  setting('healthCheckPort', 'integer', 'HTTP port of /health and /metrics (0 = ephemeral)'),
  setting('healthCheckHost', 'string', 'address the health server binds (default loopback only)'),
  setting('pollInterval', 'integer', 'queue poll interval in ms'),
  setting('batchSize', 'integer', 'queue messages per poll'),
  setting('maxConnections', 'integer', 'concurrent producer connections at most'),
  setting('maxFrameBytes', 'integer', 'largest socket frame read, in bytes'),
  setting('stopTimeoutMs', 'integer', 'graceful stop deadline in ms'),
  setting('rejectedLogPath', 'string', 'JSONL log of rejected candles'),
  setting('validation.enabled', 'boolean', 'validate candles before storing'),
  setting('validation.strictMode', 'boolean', 'reject candles with soft issues too'),
  setting('validation.maxErrorRate', 'number', 'rejection rate above which health is unhealthy'),
  setting('validation.alertThreshold', 'number', 'rejection rate above which health is degraded'),
  setting('validation.windowSize', 'integer', 'rejection-rate window: the last N candles …'),
  setting('validation.windowMs', 'integer', '… that arrived within this many ms'),
  setting('validation.minSamples', 'integer', 'candles the rate window must hold before the rate is judged'),
  setting('logLevel', 'string', 'log level: trace, debug, info, warn, error, fatal, silent'),
]);

/**
 * Parses a file mode written in octal digits, as chmod takes it: `0660`,
 * `660` or `0o660` are all 0o660. Whether the bits make sense for the setting
 * is checked later, with the rest of the config (by bootstrap()'s schema).
 */
export function parseOctal(raw: string): number | undefined {
  const match = /^(?:0o)?([0-7]{1,4})$/i.exec(raw.trim());
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 8);
}

/** How an octal setting is shown (--print-config): `0660`. */
export function formatOctal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Parses a textual value (env or flag) as the setting's type. */
export function parseSettingValue(s: Setting, raw: string, source: string): string | number | boolean {
  switch (s.type) {
    case 'string':
      return raw;
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Error(`${source}: expected a boolean (true/false/1/0/yes/no/on/off), got "${raw}"`);
    }
    case 'octal': {
      const mode = parseOctal(raw);
      if (mode === undefined) {
        throw new Error(
          `${source}: ${s.path} must be an octal permission such as 0600 or 0660, got "${raw}"`,
        );
      }
      return mode;
    }
    case 'integer':
    case 'number': {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n) || (s.type === 'integer' && !Number.isInteger(n))) {
        throw new Error(
          `${source}: expected ${s.type === 'integer' ? 'an integer' : 'a number'}, got "${raw}"`,
        );
      }
      return n;
    }
  }
}

export function getPath(source: Record<string, unknown>, path: string): unknown {
  let node: unknown = source;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}
