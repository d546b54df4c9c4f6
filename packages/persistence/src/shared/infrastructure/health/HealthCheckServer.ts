import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import { HealthPortInUseError, HealthServerListenError } from '../consumer/errors';
import type { PersistenceMetrics } from '../metrics/PersistenceMetrics';
import type { HealthMonitor } from './HealthMonitor';

/**
 * Orchestrator probes and a Prometheus scrape need a handful of short
 * connections; these caps keep idle or slow clients (slowloris: headers
 * dribbled a byte at a time) from holding sockets and file descriptors for good.
 */
export interface HealthServerLimits {
  /** Open connections at most; Node closes each connection beyond them at once. */
  readonly maxConnections: number;
  /** A request's headers must have arrived this long after it began, else 408 and closed. */
  readonly headersTimeoutMs: number;
  /** A whole request must have arrived this long after it began; also the longest a socket may go without any I/O. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

export const HEALTH_SERVER_DEFAULTS: HealthServerLimits = {
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
};

/** Limits left out take HEALTH_SERVER_DEFAULTS (the service sets none; tests use small ones). */
export interface HealthCheckServerSettings extends Partial<HealthServerLimits> {
  readonly host: string;
  /** 0 = ephemeral (read `port` after start). */
  readonly port: number;
}

/** At most one warning a minute while connections are dropped (a flood must not flood the log too). */
const DROP_LOG_INTERVAL_MS = 60_000;

/**
 * HTTP endpoints for orchestrators and Prometheus:
 * `GET /health` (200 healthy/degraded, 503 unhealthy), `GET /health/live`,
 * `GET /health/ready` (503 once stop() begins) and `GET /metrics`.
 */
export class HealthCheckServer {
  private server: Server | undefined;
  private boundPort: number | undefined;
  private dropped = 0;
  private dropLoggedAt: number | undefined;

  constructor(
    private readonly settings: HealthCheckServerSettings,
    private readonly monitor: HealthMonitor,
    private readonly metrics: PersistenceMetrics,
    private readonly logger: LoggerPort,
  ) {}

  /** The bound port while running (the ephemeral one when configured with 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * @throws HealthPortInUseError (`FLOWTRACE_HEALTH_PORT_IN_USE`) when the address is taken,
   *   HealthServerListenError (`FLOWTRACE_HEALTH_LISTEN_FAILED`, `causeCode`) for any other failed
   *   listen; the system's error is the `cause`. A failed listen leaves nothing open (Node closes
   *   the handle; the connection sweep starts only once listening).
   */
  async start(): Promise<void> {
    if (this.server) return;
    const limits = this.limits();
    const server = createServer(
      {
        // Node answers 408 and closes a connection past either (one that never sent a byte too);
        // it throws ERR_OUT_OF_RANGE when headersTimeout exceeds requestTimeout.
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        // Both timeouts are enforced by a sweep at this interval (Node's default, 30 s, would let a
        // slow client hold its socket up to 35 s past a 5 s headersTimeout).
        connectionsCheckingInterval: Math.max(1, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      },
      (request, response) => {
        this.route(request, response).catch((error: unknown) => {
          this.logger.error({ err: error }, 'health endpoint failed');
          if (!response.headersSent) respond(response, 500, 'text/plain', 'internal error\n');
          else response.destroy();
        });
      },
    );
    // Beyond it Node closes each new connection at once ('drop'): the ones open keep being served.
    server.maxConnections = limits.maxConnections;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // A socket with no I/O at all (e.g. a response its client never reads) is closed too.
    server.timeout = limits.requestTimeoutMs;
    server.on('drop', () => this.onDrop(limits.maxConnections));
    const { host, port } = this.settings;
    await new Promise<void>((resolve, reject) => {
      // Node's bare `listen EADDRINUSE` names neither the setting nor FlowTrace: typed, with the cause.
      const failed = (error: Error): void =>
        reject(
          (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
            ? new HealthPortInUseError(host, port, error)
            : new HealthServerListenError(host, port, error),
        );
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.boundPort = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    this.dropped = 0;
    this.dropLoggedAt = undefined;
  }

  private limits(): HealthServerLimits {
    const s = this.settings;
    return {
      maxConnections: s.maxConnections ?? HEALTH_SERVER_DEFAULTS.maxConnections,
      headersTimeoutMs: s.headersTimeoutMs ?? HEALTH_SERVER_DEFAULTS.headersTimeoutMs,
      requestTimeoutMs: s.requestTimeoutMs ?? HEALTH_SERVER_DEFAULTS.requestTimeoutMs,
      keepAliveTimeoutMs: s.keepAliveTimeoutMs ?? HEALTH_SERVER_DEFAULTS.keepAliveTimeoutMs,
    };
  }

  private onDrop(maxConnections: number): void {
    this.dropped += 1;
    const now = Date.now();
    if (this.dropLoggedAt !== undefined && now - this.dropLoggedAt < DROP_LOG_INTERVAL_MS) return;
    this.dropLoggedAt = now;
    this.logger.warn(
      { maxConnections, droppedSinceStart: this.dropped },
      'health server at its connection limit: new connections dropped',
    );
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      respond(response, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/health': {
        const report = this.monitor.report();
        respond(
          response,
          report.status === 'unhealthy' ? 503 : 200,
          'application/json',
          JSON.stringify(report),
        );
        return;
      }
      case '/health/live':
        respond(response, 200, 'application/json', JSON.stringify({ status: 'alive' }));
        return;
      case '/health/ready': {
        const ready = this.monitor.isReady();
        respond(response, ready ? 200 : 503, 'application/json', JSON.stringify({ ready }));
        return;
      }
      case '/metrics': {
        const { contentType, body } = await this.metrics.render();
        respond(response, 200, contentType, body);
        return;
      }
      default:
        respond(response, 404, 'text/plain', 'not found\n');
    }
  }
}

function respond(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  response.end(body);
}
