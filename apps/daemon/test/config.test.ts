import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePersistenceConfig } from '@flowtrace/persistence';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/config/commandLine';
import { DaemonConfigError, UsageError } from '../src/config/errors';
import { configFromEnv, loadDaemonConfig, mergeLayers } from '../src/config/loadDaemonConfig';
import { SETTINGS } from '../src/config/settings';
import { daemonCommand, runDaemonOnce, startDaemon, waitFor } from './daemonProcess';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-daemon-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration precedence: defaults < file < FLOWTRACE_* < flags', () => {
  it('each layer overrides the one before it, key by key', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      'pollInterval: 200\nbatchSize: 20\nstorage:\n  useDatabase: true\nvalidation:\n  strictMode: true\n',
    );
    const config = loadDaemonConfig(
      parseCommandLine(['--config', file, '--batch-size', '40', '--data-dir', dir]),
      {
        FLOWTRACE_POLL_INTERVAL: '300',
        FLOWTRACE_BATCH_SIZE: '30',
      },
    );
    expect(config.persistence.pollInterval).toBe(300); // env beats file
    expect(config.persistence.batchSize).toBe(40); // flag beats env
    expect(config.persistence.storage).toEqual({ baseDir: join(dir, 'candles'), useDatabase: true }); // deep merge
    expect(config.persistence.validation).toEqual({ strictMode: true });
    expect(config.persistence.socketPath).toBe(join(dir, 'flowtrace.sock'));
    expect(config.sources).toEqual([`defaults (data dir ${dir})`, `file ${file}`, 'environment', 'flags']);
  });

  it("relative paths: a config file's against its own directory, variables' and flags' against the working directory", () => {
    const etc = join(dir, 'etc', 'flowtrace');
    mkdirSync(etc, { recursive: true });
    const file = join(etc, 'persistence.yaml');
    writeFileSync(
      file,
      'socketPath: ../../run/f.sock\nqueuePath: queue.db\nstorage:\n  baseDir: candles\nrejectedLogPath: /var/log/r.jsonl\n',
    );
    const fromFile = loadDaemonConfig(parseCommandLine(['-c', file]), {}).persistence;
    expect(fromFile.socketPath).toBe(join(dir, 'run', 'f.sock'));
    expect(fromFile.queuePath).toBe(join(etc, 'queue.db'));
    expect(fromFile.storage).toMatchObject({ baseDir: join(etc, 'candles') });
    expect(fromFile.rejectedLogPath).toBe('/var/log/r.jsonl');
    const layered = loadDaemonConfig(parseCommandLine(['-c', file, '--queue-path', 'q2.db']), {
      FLOWTRACE_STORAGE_BASE_DIR: 'store',
    }).persistence;
    expect(layered.queuePath).toBe(join(process.cwd(), 'q2.db'));
    expect(layered.storage).toMatchObject({ baseDir: join(process.cwd(), 'store') });
  });

  it('reads JSON config files by extension and reports unknown FLOWTRACE_* variables', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ logLevel: 'warn', healthCheckPort: 0 }));
    const config = loadDaemonConfig(parseCommandLine(['-c', file]), { FLOWTRACE_POLL_INTERVALL: '5' });
    expect(config.logLevel).toBe('warn');
    expect(config.persistence.healthCheckPort).toBe(0);
    expect(config.unknownEnv).toEqual(['FLOWTRACE_POLL_INTERVALL']);
  });

  it('every setting has a distinct env variable and flag derived from its path', () => {
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
    expect(SETTINGS.find((s) => s.path === 'storage.baseDir')).toMatchObject({
      env: 'FLOWTRACE_STORAGE_BASE_DIR',
      flag: 'storage-base-dir',
    });
    expect(configFromEnv({ FLOWTRACE_VALIDATION_STRICT_MODE: 'yes' }).config).toEqual({
      validation: { strictMode: true },
    });
  });

  it('takes the .ftcd tuning from the environment and flags, partitioning from a file', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, "storage:\n  partitioning:\n    1m: month\n    '1h': year\n");
    const config = loadDaemonConfig(
      parseCommandLine([
        '--config',
        file,
        '--storage-block-cache-bytes',
        '0',
        '--storage-compression',
        'false',
      ]),
      { FLOWTRACE_STORAGE_MAX_OPEN_FILES: '512', FLOWTRACE_STORAGE_VERIFY_IN_BACKGROUND: 'off' },
    );
    expect(config.persistence.storage).toMatchObject({
      partitioning: { '1m': 'month', '1h': 'year' },
      maxOpenFiles: 512,
      verifyInBackground: false,
      blockCacheBytes: 0,
      compression: false,
    });
    for (const path of ['storage.indexMemoryBytes', 'storage.createPartitionsAhead', 'storage.minFreeBytes'])
      expect(SETTINGS.map((s) => s.path)).toContain(path);
  });

  it('every setting bootstrap() resolves has a flag and a variable (storage.partitioning, a map, from a file only)', () => {
    const resolved = resolvePersistenceConfig(loadDaemonConfig(parseCommandLine([]), {}).persistence);
    const leaves = (node: object, prefix: string): string[] =>
      Object.entries(node).flatMap(([key, value]) =>
        typeof value === 'object' && value !== null ? leaves(value, `${prefix}${key}.`) : [`${prefix}${key}`],
      );
    const paths = SETTINGS.map((s) => s.path);
    for (const path of leaves(resolved, '')) expect(paths, path).toContain(path);
    const config = loadDaemonConfig(parseCommandLine(['--validation-window-ms', '30000']), {
      FLOWTRACE_VALIDATION_WINDOW_SIZE: '500',
    });
    expect(config.persistence.validation).toEqual({ windowMs: 30_000, windowSize: 500 });
    expect(config.unknownEnv).toEqual([]);
  });

  it('rejects malformed values with the variable or flag named', () => {
    expect(() => configFromEnv({ FLOWTRACE_BATCH_SIZE: '1.5' })).toThrow(/FLOWTRACE_BATCH_SIZE.*integer/);
    expect(() => configFromEnv({ FLOWTRACE_STORAGE_USE_DATABASE: 'maybe' })).toThrow(DaemonConfigError);
    expect(() => parseCommandLine(['--batch-size', 'ten'])).toThrow(/--batch-size.*integer/);
    expect(() => parseCommandLine(['--no-such-flag'])).toThrow(UsageError);
    expect(() => loadDaemonConfig(parseCommandLine(['--config', join(dir, 'missing.yaml')]), {})).toThrow(
      /cannot read config file/,
    );
  });

  it('an empty or all-comments YAML file is no settings (every key is optional)', () => {
    for (const [name, text] of [
      ['empty.yaml', ''],
      ['comments.yaml', '# every key is optional\n# logLevel: debug\n'],
      ['bare.yml', '---\n'],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const config = loadDaemonConfig(parseCommandLine(['--config', file, '--data-dir', dir]), {});
      expect(config.persistence.socketPath).toBe(join(dir, 'flowtrace.sock'));
      expect(config.sources).toContain(`file ${file}`);
    }
    // A document that is something else than settings still is an error.
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(() => loadDaemonConfig(parseCommandLine(['--config', list]), {})).toThrow(
      /must contain an object of settings/,
    );
  });

  it('socketMode is octal everywhere: file (YAML number or string, JSON string or digits), variable, flag', () => {
    const cases: Array<[string, string]> = [
      ['a.yaml', 'socketMode: 0660\n'],
      ['b.yaml', 'socketMode: 0o660\n'],
      ['c.yaml', "socketMode: '0660'\n"],
      ['d.yaml', 'socketMode: 660\n'],
      ['e.json', '{"socketMode": "0660"}'],
      ['f.json', '{"socketMode": 660}'],
    ];
    for (const [name, text] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      expect(loadDaemonConfig(parseCommandLine(['-c', file]), {}).persistence.socketMode, name).toBe(0o660);
    }
    expect(configFromEnv({ FLOWTRACE_SOCKET_MODE: '0640' }).config).toEqual({ socketMode: 0o640 });
    expect(parseCommandLine(['--socket-mode', '0o600']).overrides).toEqual({ socketMode: 0o600 });
    expect(SETTINGS.find((s) => s.path === 'socketMode')).toMatchObject({
      env: 'FLOWTRACE_SOCKET_MODE',
      flag: 'socket-mode',
    });
    // Not octal at all: named by its source and key.
    expect(() => configFromEnv({ FLOWTRACE_SOCKET_MODE: 'rw-rw----' })).toThrow(
      /FLOWTRACE_SOCKET_MODE: socketMode must be an octal permission/,
    );
    expect(() => parseCommandLine(['--socket-mode', '0968'])).toThrow(UsageError);
    const bad = join(dir, 'bad-mode.json');
    writeFileSync(bad, '{"socketMode": 0.5}');
    expect(() => loadDaemonConfig(parseCommandLine(['-c', bad]), {})).toThrow(
      /bad-mode\.json: socketMode must be an octal permission/,
    );
  });

  it('merges objects deeply and replaces scalars and arrays', () => {
    expect(mergeLayers({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2] })).toEqual({
      a: { b: 1, c: 3 },
      d: [2],
    });
  });
});

describe(`the daemon process (${daemonCommand().label})`, () => {
  it('--print-config shows the merged, validated config with defaults, and exits 0', async () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ batchSize: 7, storage: { baseDir: join(dir, 'store') } }));
    // stdout only: a warning (an unknown FLOWTRACE_* variable in the test's environment) goes to stderr.
    const { code, stdout: output } = await runDaemonOnce(
      ['--config', file, '--print-config', '--poll-interval', '250'],
      {
        cwd: dir,
        env: { FLOWTRACE_BATCH_SIZE: '9' },
      },
    );
    expect(code).toBe(0);
    const printed = JSON.parse(output) as Record<string, unknown>;
    expect(printed).toMatchObject({
      logLevel: 'info',
      batchSize: 9,
      pollInterval: 250,
      socketPath: join(dir, 'data', 'flowtrace.sock'),
      storage: { baseDir: join(dir, 'store'), useDatabase: false },
      healthCheckHost: '127.0.0.1',
    });
  });

  it('a store directory of the other kind (the wrong storage.useDatabase) exits 78, writing nothing beside it', async () => {
    const store = join(dir, 'store');
    // A SQLite store, then the daemon started without useDatabase.
    await (await openCandleStore({ baseDir: store, useDatabase: true })).close();
    const before = readdirSync(store).sort();
    const { code, output } = await runDaemonOnce(['--storage-base-dir', store], { cwd: dir });
    expect(code, output).toBe(78);
    expect(output).toMatch(/FLOWTRACE_STORE_KIND_MISMATCH/);
    expect(output).toMatch(/holds a SQLite store.*useDatabase: true/);
    expect(readdirSync(store).sort()).toEqual(before);
  });

  it('a socketPath naming a file that is not a socket exits 78 (a restart would find it again), and the file is kept', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    const { code, output } = await runDaemonOnce(
      ['--socket-path', file, '--storage-base-dir', join(dir, 'store')],
      {
        cwd: dir,
      },
    );
    expect(code, output).toBe(78);
    expect(output).toMatch(/FLOWTRACE_SOCKET_PATH_NOT_SOCKET/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
  });

  it('a bad config file gives a clear error naming every problem and exit code 78', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'batchSize: -1\npollInterval: soon\nstorage:\n  baseDir: ""\n  partitioning:\n    1m: week\nnoSuchSetting: 1\n',
    );
    const { code, output } = await runDaemonOnce(['--config', file], { cwd: dir });
    expect(code).toBe(78);
    expect(output).toContain('invalid configuration');
    for (const path of ['batchSize', 'pollInterval', 'storage.baseDir', 'storage.partitioning.1m'])
      expect(output).toContain(`- ${path}:`);
    expect(output).toMatch(/noSuchSetting/);
  });

  it('--print-config warns on stderr about unknown FLOWTRACE_* variables, as the running daemon does', async () => {
    const { code, stdout, stderr } = await runDaemonOnce(['--print-config'], {
      cwd: dir,
      env: { FLOWTRACE_STORAGE_BASEDIR: '/x', FLOWTRACE_POLL_INTERVALL: '5' },
    });
    expect(code).toBe(0);
    expect(stderr).toContain(
      'flowtrace-persistence: warning: unknown FLOWTRACE_* environment variable FLOWTRACE_STORAGE_BASEDIR ignored (did you mean FLOWTRACE_STORAGE_BASE_DIR?)\n',
    );
    expect(stderr).toContain(
      'unknown FLOWTRACE_* environment variable FLOWTRACE_POLL_INTERVALL ignored (did you mean FLOWTRACE_POLL_INTERVAL?)',
    );
    // stdout is still the configuration alone, and the misspelled variable changed nothing.
    const printed = JSON.parse(stdout) as { storage: { baseDir: string }; pollInterval: number };
    expect(printed.storage.baseDir).toBe(join(dir, 'data', 'candles'));
    expect(printed.pollInterval).toBe(1000);
  });

  it('an empty or all-comments YAML config file starts from the defaults (exit 0, not 78)', async () => {
    for (const text of ['', '# nothing set yet\n']) {
      const file = join(dir, 'persistence.yaml');
      writeFileSync(file, text);
      const { code, stdout, output } = await runDaemonOnce(['--config', file, '--print-config'], {
        cwd: dir,
      });
      expect(code, output).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({
        logLevel: 'info',
        socketPath: join(dir, 'data', 'flowtrace.sock'),
      });
    }
  });

  it('socketMode: --print-config shows it in octal; the default is 0600', async () => {
    const defaults = await runDaemonOnce(['--print-config'], { cwd: dir });
    expect(JSON.parse(defaults.stdout)).toMatchObject({ socketMode: '0600' });
    const fromEnv = await runDaemonOnce(['--print-config'], {
      cwd: dir,
      env: { FLOWTRACE_SOCKET_MODE: '0660' },
    });
    expect(fromEnv.code, fromEnv.output).toBe(0);
    expect(fromEnv.stderr).not.toContain('FLOWTRACE_SOCKET_MODE');
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ socketMode: '0660' });
    const fromFlag = await runDaemonOnce(['--print-config', '--socket-mode', '640'], { cwd: dir });
    expect(JSON.parse(fromFlag.stdout)).toMatchObject({ socketMode: '0640' });
  });

  it('a bad socketMode exits 78 naming socketMode', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['exec.yaml', 'socketMode: 0770\n', /- socketMode: must not grant execute permission.*got 0o770/],
      ['wide.yaml', 'socketMode: 4660\n', /- socketMode: must be permission bits within 0o777.*got 0o4660/],
      ['word.yaml', 'socketMode: group\n', /word\.yaml: socketMode must be an octal permission/],
    ];
    for (const [name, text, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const { code, output } = await runDaemonOnce(['--config', file], { cwd: dir });
      expect(code, output).toBe(78);
      expect(output).toMatch(message);
    }
    const flag = await runDaemonOnce(['--socket-mode', '0711'], { cwd: dir });
    expect(flag.code).toBe(78);
    expect(flag.output).toMatch(/- socketMode: must not grant execute/);
    const env = await runDaemonOnce([], { cwd: dir, env: { FLOWTRACE_SOCKET_MODE: 'rw' } });
    expect(env.code).toBe(78);
    expect(env.output).toMatch(/FLOWTRACE_SOCKET_MODE: socketMode must be an octal permission/);
  });

  it('a daemon started with socketMode 0660 creates its socket with mode 0660', async () => {
    const file = join(dir, 'persistence.yaml');
    writeFileSync(file, 'socketMode: 0660\nhealthCheckPort: 0\n');
    const socketPath = join(dir, 'data', 'flowtrace.sock');
    const daemon = startDaemon(['--config', file], { cwd: dir });
    try {
      await waitFor(() => existsSync(socketPath), `the socket (daemon output: ${daemon.output()})`);
      expect(statSync(socketPath).mode & 0o777).toBe(0o660);
      expect(statSync(socketPath).isSocket()).toBe(true);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect((await daemon.exited).code, daemon.output()).toBe(0);
  });

  it('a config file that is not valid YAML/JSON exits 78 with the parser message', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"batchSize": ');
    const { code, output } = await runDaemonOnce(['--config', file], { cwd: dir });
    expect(code).toBe(78);
    expect(output).toMatch(/broken\.json is not valid JSON/);
  });

  it('two settings on one path (socket, queue, rejected-candles log, store) exit 78 naming both, before anything is opened', async () => {
    const cases: Array<[string[], RegExp]> = [
      // The socket server took the queue database for a stale non-socket: exit 1, restarted in vain.
      [['--socket-path', 'same', '--queue-path', 'same'], /queuePath and socketPath are the same path/],
      // The rejected-candles log appended to the queue database, and SQLite cut it off again.
      [
        ['--queue-path', 'q.db', '--rejected-log-path', 'q.db'],
        /rejectedLogPath and queuePath are the same path .*q\.db; each needs a path of its own/,
      ],
      [
        ['--storage-base-dir', 'store', '--queue-path', 'store/rejected-candles.jsonl'],
        /rejectedLogPath and queuePath are the same path/,
      ],
      [['--storage-base-dir', 'store', '--queue-path', 'store'], /queuePath and storage\.baseDir/],
      [
        ['--storage-use-database', 'true', '--queue-path', 'data/candles/candles-flatbuffers.db'],
        /queuePath and storage\.baseDir \(its SQLite database\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, output } = await runDaemonOnce([...args, '--health-check-port', '0'], {
        cwd: dir,
      });
      expect(code, output).toBe(78);
      expect(stderr).toMatch(message);
      expect(existsSync(join(dir, 'data', 'candles')), args.join(' ')).toBe(false);
      expect(existsSync(join(dir, 'store')), args.join(' ')).toBe(false);
    }
    const printed = await runDaemonOnce(['--print-config', '--rejected-log-path', 'data/queue.db'], {
      cwd: dir,
    });
    expect(printed.code).toBe(78);
  });

  it('an empty --config/--data-dir is a usage error (2); an empty FLOWTRACE_CONFIG/FLOWTRACE_DATA_DIR a configuration error (78)', async () => {
    for (const flag of ['--config', '--data-dir']) {
      const { code, stderr } = await runDaemonOnce([flag, '', '--print-config'], { cwd: dir });
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(`${flag} is empty`);
    }
    for (const variable of ['FLOWTRACE_CONFIG', 'FLOWTRACE_DATA_DIR']) {
      const { code, stdout, stderr } = await runDaemonOnce(['--print-config'], {
        cwd: dir,
        env: { [variable]: '' },
      });
      expect(code, stdout + stderr).toBe(78);
      expect(stderr).toContain(`${variable} is empty`);
    }
  });

  it('a usage error prints one line naming it and one pointing to --help, exit 2; --help prints the usage', async () => {
    const cases: Array<[string[], string]> = [
      [['--frobnicate'], 'flowtrace-persistence: unknown option --frobnicate'],
      [['--poll-interval', 'soon'], 'flowtrace-persistence: --poll-interval'],
      [['--config', ''], 'flowtrace-persistence: --config is empty; give a path'],
      [['stray'], 'flowtrace-persistence: unexpected argument "stray"'],
      [['--poll-interval'], 'flowtrace-persistence: option --poll-interval needs a value'],
    ];
    for (const [args, first] of cases) {
      const bad = await runDaemonOnce(args, { cwd: dir });
      expect(bad.code, bad.output).toBe(2);
      expect(bad.stdout).toBe('');
      const lines = bad.stderr.split('\n');
      expect(lines, bad.stderr).toHaveLength(3); // two lines, each ended by \n
      expect(lines[0]).toContain(first);
      expect(lines[0]).not.toContain("'--"); // Node's suggestion of `--`, with its unbalanced quote
      expect(lines[1]).toBe("Run 'flowtrace-persistence --help' for the options and settings.");
      expect(bad.stderr).not.toContain('Usage:');
    }
    const help = await runDaemonOnce(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: flowtrace-persistence \[options\]\n/);
    expect(help.stdout).toContain('FLOWTRACE_STORAGE_BASE_DIR');
    expect(help.stdout).toContain('Exit codes: 0 stopped cleanly');
  });
});
