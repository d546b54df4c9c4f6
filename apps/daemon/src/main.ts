import { dirname } from 'node:path';
import {
  bootstrap,
  InvalidPersistenceConfigError,
  type LoggerPort,
  type PersistenceProbe,
  resolvePersistenceConfig,
} from '@flowtrace/persistence';
import { createDirectoriesSync, type DirectoryRefusal } from '@flowtrace/persistence/shared/storage';
import { pino } from 'pino';
import { parseCommandLine, usage } from './config/commandLine';
import { DaemonConfigError, UsageError } from './config/errors';
import { loadDaemonConfig, unknownEnvWarning } from './config/loadDaemonConfig';
import { formatOctal } from './config/settings';
import { EXIT, type ExitCode } from './exitCodes';
import { SystemdNotifier } from './systemd/SystemdNotifier';
import { packageVersion } from './version';

/** Extra time past the service's own stopTimeoutMs before the daemon gives up on a graceful stop. */
const STOP_GRACE_MS = 5_000;
/** Time systemd is asked to allow past that deadline for the process to exit. */
const STOP_EXIT_MARGIN_MS = 5_000;

export interface DaemonIO {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Injected by an embedding program (e.g. the chaos harness entry), never by the command line. */
export interface DaemonOptions {
  /** Told of every named write-path point (PersistenceProbe in @flowtrace/persistence). */
  probe?: PersistenceProbe;
}

/**
 * Runs the daemon until it is told to stop. Resolves with the exit code; the
 * caller (daemon.ts) owns `process.exit`. Signal handling lives here because the
 * daemon, unlike the libraries, owns its process.
 */
export async function runDaemon(io: DaemonIO, options: DaemonOptions = {}): Promise<ExitCode> {
  let commandLine: ReturnType<typeof parseCommandLine>;
  try {
    commandLine = parseCommandLine(io.argv);
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.USAGE;
  }
  if (commandLine.help) {
    io.stdout(`${usage()}\n`);
    return EXIT.OK;
  }
  if (commandLine.version) {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.OK;
  }

  let config: ReturnType<typeof loadDaemonConfig>;
  try {
    config = loadDaemonConfig(commandLine, io.env);
  } catch (error) {
    return reportConfigError(io, error);
  }
  let resolved: ReturnType<typeof resolvePersistenceConfig>;
  try {
    // Validated here, before the logger exists, as bootstrap() will: an invalid setting is
    // reported once, on stderr with every problem, like the other configuration errors.
    resolved = resolvePersistenceConfig(config.persistence);
  } catch (error) {
    // A misspelt variable may be what left a setting wrong: its warning first.
    warnUnknownEnv(io, config.unknownEnv);
    return reportConfigError(io, error);
  }
  if (commandLine.printConfig) {
    // The same warnings the running daemon logs; on stderr, so stdout stays the config alone.
    warnUnknownEnv(io, config.unknownEnv);
    const printed = {
      logLevel: config.logLevel,
      ...resolved,
      socketMode: formatOctal(resolved.socketMode),
    };
    io.stdout(`${JSON.stringify(printed, null, 2)}\n`);
    return EXIT.OK;
  }

  const logger = pino({
    level: config.logLevel,
    base: { service: 'flowtrace-persistence', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
  const notifier = new SystemdNotifier({ env: io.env, onWarning: (m) => logger.warn(m) });
  for (const name of config.unknownEnv) {
    const { message, suggestion } = unknownEnvWarning(name);
    logger.warn({ variable: name, ...(suggestion ? { suggestion } : {}) }, message);
  }

  const serviceLogger = new ServiceLogger(logger);
  let app: Awaited<ReturnType<typeof bootstrap>>['app'];
  try {
    ({ app } = await bootstrap(config.persistence as Parameters<typeof bootstrap>[0], {
      logger: serviceLogger,
      probe: options.probe,
    }));
  } catch (error) {
    // The configuration validated above: a failure here is the service's wiring (one log line).
    logger.fatal({ err: error }, 'start-up failed');
    return exitCodeOf(error);
  }

  const stopTimeoutMs = (config.persistence.stopTimeoutMs as number | undefined) ?? 10_000;
  let stopRequested: ((signal: NodeJS.Signals) => void) | undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  let signals = 0;
  let forced: ((code: ExitCode) => void) | undefined;
  const forcedExit = new Promise<ExitCode>((resolve) => {
    forced = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info({ signal }, 'stop requested: draining');
      stopRequested?.(signal);
    } else {
      logger.warn({ signal }, 'second signal: forcing exit without finishing the graceful stop');
      forced?.(EXIT.FORCED);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  // How long systemd must wait for the stop: the daemon's own deadline plus a margin to exit.
  // Sent with STOPPING=1 (EXTEND_TIMEOUT_USEC), so a stopTimeoutMs longer than the unit's
  // TimeoutStopSec= is not cut short by SIGKILL; it never shortens TimeoutStopSec=.
  const stopBudgetMs = stopTimeoutMs + STOP_GRACE_MS + STOP_EXIT_MARGIN_MS;
  try {
    notifier.status('Starting: opening storage, queue and socket');
    createSocketDirectory(config.persistence.socketPath as string);
    await Promise.race([
      app.start(),
      stopSignal.then(() => Promise.reject(new Error('stopped during start-up'))),
    ]);
    const ready = `Ready: socket ${config.persistence.socketPath}, queue ${config.persistence.queuePath}`;
    notifier.ready(ready);
    notifier.startWatchdog(() => app.lifecycle === 'running');
    logger.info({ sources: config.sources, healthPort: app.healthPort }, ready);
  } catch (error) {
    const interrupted = signals > 0;
    if (interrupted) {
      notifier.stopping('Stopping: a stop was requested during start-up', stopBudgetMs);
    } else {
      // start() logs its own failure (with the error and its code): not a second time here.
      if (!serviceLogger.logged(error)) logger.fatal({ err: error }, 'start-up failed');
      notifier.stopping(`Start-up failed: ${(error as Error).message}`, stopBudgetMs);
    }
    // A second signal ends the wait at once, as it does once running (start() may still be
    // opening a large store, and the stop waits for it).
    const stopped = await Promise.race([
      stopWithin(app, stopTimeoutMs + STOP_GRACE_MS).then(
        (): ExitCode => EXIT.OK,
        (stopError: unknown): ExitCode =>
          stopError instanceof StopTimeoutError ? EXIT.STOP_TIMEOUT : EXIT.FAILURE,
      ),
      forcedExit,
    ]);
    notifier.close();
    removeSignalHandlers(onSignal);
    if (stopped === EXIT.FORCED) return EXIT.FORCED;
    if (interrupted) {
      if (stopped === EXIT.OK) logger.info('stopped during start-up');
      return stopped === EXIT.STOP_TIMEOUT ? EXIT.STOP_TIMEOUT : EXIT.OK;
    }
    return isConfigurationError(error) ? EXIT.CONFIG : EXIT.FAILURE;
  }

  const signal = await stopSignal;
  notifier.stopping(`Stopping after ${signal}: draining in-flight candles`, stopBudgetMs);
  const outcome = await Promise.race([
    stopWithin(app, stopTimeoutMs + STOP_GRACE_MS).then(
      () => EXIT.OK,
      (error: unknown) => {
        logger.error({ err: error }, 'graceful stop failed');
        return error instanceof StopTimeoutError ? EXIT.STOP_TIMEOUT : EXIT.FAILURE;
      },
    ),
    forcedExit,
  ]);
  if (outcome === EXIT.OK) logger.info('stopped cleanly');
  notifier.close();
  removeSignalHandlers(onSignal);
  return outcome;
}

/**
 * Start-up errors that only a change of configuration fixes: exit 78, which the
 * systemd unit does not restart (a restart loop would fail the same way).
 */
const CONFIGURATION_ERROR_CODES: ReadonlySet<string> = new Set([
  'FLOWTRACE_STORE_KIND_MISMATCH',
  'FLOWTRACE_INVALID_STORAGE_CONFIG',
  // socketPath names a file that is not a socket: the daemon never removes it, so every restart
  // would find it again.
  'FLOWTRACE_SOCKET_PATH_NOT_SOCKET',
  // rejectedLogPath cannot be opened for append (a directory that cannot be made, no permission).
  'FLOWTRACE_REJECTED_LOG_UNAVAILABLE',
  // The health server cannot listen on healthCheckHost:healthCheckPort for a reason of the address
  // itself (not on this machine, unresolvable, a privileged port). A port in use
  // (FLOWTRACE_HEALTH_PORT_IN_USE) is not here: the process holding it may go away.
  'FLOWTRACE_HEALTH_LISTEN_FAILED',
]);

function isConfigurationError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONFIGURATION_ERROR_CODES.has(code);
}

/**
 * The logger handed to the service: the daemon's, noting the errors the
 * service logs itself. PersistenceApplication logs the error its start()
 * rejects with before releasing what it opened; the daemon, which would log
 * that rejection too, asks `logged` first, so a failed start-up is one line.
 */
class ServiceLogger implements LoggerPort {
  private readonly errors = new WeakSet<object>();

  constructor(private readonly logger: pino.Logger) {}

  debug(obj: object, msg?: string): void {
    this.logger.debug(obj, msg);
  }

  info(obj: object, msg?: string): void {
    this.logger.info(obj, msg);
  }

  warn(obj: object, msg?: string): void {
    this.logger.warn(obj, msg);
  }

  error(obj: object, msg?: string): void {
    const { err } = obj as { err?: unknown };
    if (typeof err === 'object' && err !== null) this.errors.add(err);
    this.logger.error(obj, msg);
  }

  /** Whether the service logged this very error (at error level, as `err`). */
  logged(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.errors.has(error);
  }
}

class StopTimeoutError extends Error {
  readonly code = 'FLOWTRACE_DAEMON_STOP_TIMEOUT';
}

async function stopWithin(app: { stop(): Promise<void> }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StopTimeoutError(`graceful stop did not finish within ${ms} ms`)),
      ms,
    );
    timer.unref();
  });
  try {
    await Promise.race([app.stop(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates the socket's directory (0750) and its missing parents, with
 * createDirectoriesSync of @flowtrace/persistence: one mkdir per level, not
 * `mkdirSync(dir, { recursive: true })`, which spins forever on procfs
 * (`socketPath: /proc/x/f.sock` spun at 100% CPU and, being synchronous, never
 * saw SIGTERM). The first refusal is the error, naming socketPath.
 */
function createSocketDirectory(socketPath: string): void {
  try {
    createDirectoriesSync(dirname(socketPath), 'the directory of socketPath', { mode: 0o750 });
  } catch (error) {
    const reason = (error as Partial<DirectoryRefusal>).reason ?? (error as Error).message;
    const failure: Error & { code?: string } = new Error(
      `cannot create the directory of socketPath ${socketPath}: ${reason}`,
      { cause: error },
    );
    // The system's code (EACCES, ENOTDIR …), as the service's own directory errors carry it.
    const { code } = error as { code?: unknown };
    if (typeof code === 'string') failure.code = code;
    throw failure;
  }
}

function removeSignalHandlers(handler: (signal: NodeJS.Signals) => void): void {
  process.off('SIGTERM', handler);
  process.off('SIGINT', handler);
}

/**
 * A bad command line: one line naming the problem, one pointing to --help
 * (the whole usage would bury the problem, in a terminal and in the journal).
 */
function usageErrorText(error: unknown): string {
  const message = String((error as Error).message ?? error).replace(/\s*\n\s*/g, ' ');
  return `flowtrace-persistence: ${message}\nRun 'flowtrace-persistence --help' for the options and settings.\n`;
}

function warnUnknownEnv(io: DaemonIO, names: readonly string[]): void {
  for (const name of names) io.stderr(`flowtrace-persistence: warning: ${unknownEnvWarning(name).message}\n`);
}

/** Before the logger exists: the configuration's problem on stderr, once. */
function reportConfigError(io: DaemonIO, error: unknown): ExitCode {
  if (error instanceof UsageError) {
    io.stderr(usageErrorText(error));
  } else if (error instanceof InvalidPersistenceConfigError) {
    const lines = error.problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
    io.stderr(`flowtrace-persistence: invalid configuration:\n${lines}\n`);
  } else if (error instanceof DaemonConfigError) {
    io.stderr(`flowtrace-persistence: ${error.message}\n`);
  } else {
    io.stderr(`flowtrace-persistence: ${(error as Error).stack ?? String(error)}\n`);
  }
  return exitCodeOf(error);
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof InvalidPersistenceConfigError || error instanceof DaemonConfigError)
    return EXIT.CONFIG;
  return EXIT.FAILURE;
}
