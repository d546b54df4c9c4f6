import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';

/** The warning Node prints (once per logger) when an injected logger throws. */
export const LOGGER_FAILED_WARNING_CODE = 'FLOWTRACE_LOGGER_FAILED';

/**
 * Wraps the logger a user injects so that a throw inside it (a broken
 * transport, a bug in a custom logger) never fails the log line's caller: a
 * save, an acknowledgement, start() after everything is up. The first throw
 * is reported once through `process.emitWarning`; all are counted.
 */
export class NeverThrowingLogger implements LoggerPort {
  private failureCount = 0;

  constructor(private readonly inner: LoggerPort) {}

  /** Log calls that threw so far. */
  get failures(): number {
    return this.failureCount;
  }

  debug(obj: object, msg?: string): void {
    try {
      this.inner.debug(obj, msg);
    } catch (error) {
      this.failed(error);
    }
  }

  info(obj: object, msg?: string): void {
    try {
      this.inner.info(obj, msg);
    } catch (error) {
      this.failed(error);
    }
  }

  warn(obj: object, msg?: string): void {
    try {
      this.inner.warn(obj, msg);
    } catch (error) {
      this.failed(error);
    }
  }

  error(obj: object, msg?: string): void {
    try {
      this.inner.error(obj, msg);
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    this.failureCount += 1;
    if (this.failureCount > 1) return;
    try {
      process.emitWarning(
        `The logger given to FlowTrace threw (${error instanceof Error ? error.message : String(error)}); ` +
          'the line was dropped and the service went on. Later throws are counted, not reported.',
        { code: LOGGER_FAILED_WARNING_CODE },
      );
    } catch {
      // A throwing 'warning' listener must not fail the caller either.
    }
  }
}
