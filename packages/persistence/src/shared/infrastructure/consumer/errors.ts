import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

export class UnknownMessageTypeError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE';
  readonly retryable = false;
  constructor(readonly messageType: string) {
    // Exact text of the original platform's reply.
    super(`Unknown message type: ${messageType}`);
  }
}

export class InvalidBatchPayloadError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_BATCH';
  readonly retryable = false;
}

/**
 * A `candle:batch` some of whose valid candles were not saved (their
 * partition refuses writes): the whole frame is answered as a retryable
 * failure, so a publisher that does not read per-item outcomes (HybridPublisher)
 * queues it instead of taking it as done. `responseData` is the batch ack
 * (`results[i]` per candle): the saved ones are durable, and sending the batch
 * again stores them once.
 */
export class BatchNotFullySavedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_PARTITION_UNWRITABLE';
  readonly retryable = true;
  constructor(readonly responseData: { persisted: number; rejected: number; unsaved: number }) {
    super(
      `${responseData.unsaved} candle(s) of the batch not saved: their partition refuses writes (a quarantined file); ` +
        `${responseData.persisted} saved, ${responseData.rejected} rejected. Send the batch again later (saved candles are stored once)`,
    );
  }
}

/**
 * The rejected-candles log cannot be opened at start (its directory cannot be
 * created, the file cannot be opened for append). Found at start rather than
 * at the first rejection, where every invalid candle would otherwise be
 * answered as a retryable storage failure and retried from the queue forever.
 */
export class RejectedLogUnavailableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_REJECTED_LOG_UNAVAILABLE';
  readonly retryable = false;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`Cannot open the rejected-candles log ${path}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * `app.start()`: the health server's address (`healthCheckHost:healthCheckPort`)
 * is taken by another listener: another process, or another instance in this
 * one. Not retryable: the port stays taken until that listener goes, so it
 * takes another port (or stopping the other listener) to start.
 */
export class HealthPortInUseError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_HEALTH_PORT_IN_USE';
  readonly retryable = false;
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(
      `Cannot start the health server: ${hostPort(host, port)} is already in use (another process or service listens on it). ` +
        'Set healthCheckPort to a free port, or to 0 for an ephemeral one (read app.healthPort), or leave it out for no health server',
      { cause },
    );
  }
}

/**
 * `app.start()`: the health server cannot listen for another reason than a port
 * in use; `causeCode` is the system's code (`EACCES`: a port below 1024 without
 * the privilege, `EADDRNOTAVAIL`: `healthCheckHost` is no address of this
 * machine, `ENOTFOUND`: it does not resolve…). Not retryable: the same
 * settings fail the same way.
 */
export class HealthServerListenError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_HEALTH_LISTEN_FAILED';
  readonly retryable = false;
  /** The system error code of the failed listen, e.g. `EACCES`. */
  readonly causeCode: string | undefined;
  constructor(
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    const causeCode = systemErrorCode(cause);
    const hint = listenHint(causeCode, port);
    super(
      `Cannot start the health server on ${hostPort(host, port)}: ${cause instanceof Error ? cause.message : String(cause)}` +
        (hint === undefined ? '' : ` (${hint})`),
      { cause },
    );
    this.causeCode = causeCode;
  }
}

function listenHint(causeCode: string | undefined, port: number): string | undefined {
  switch (causeCode) {
    case 'EACCES':
      return port > 0 && port < 1024
        ? 'ports below 1024 need a privilege: set healthCheckPort to 1024 or above, or to 0 for an ephemeral port'
        : undefined;
    case 'EADDRNOTAVAIL':
      return 'healthCheckHost is not an address of this machine: set it to one, e.g. 127.0.0.1 or 0.0.0.0';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'healthCheckHost does not resolve to an address: set it to an IP address or a known host name';
    default:
      return undefined;
  }
}

/** `host:port`, an IPv6 host in brackets (`[::1]:3001`). */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function systemErrorCode(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
