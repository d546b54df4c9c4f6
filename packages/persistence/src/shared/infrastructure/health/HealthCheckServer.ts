import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceMetrics } from '../metrics/PersistenceMetrics';
import type { HealthMonitor } from './HealthMonitor';

export interface HealthCheckServerSettings {
  readonly host: string;
  /** 0 = ephemeral (read `port` after start). */
  readonly port: number;
}

/**
 * HTTP endpoints for orchestrators and Prometheus:
 * `GET /health` (200 healthy/degraded, 503 unhealthy), `GET /health/live`,
 * `GET /health/ready` (503 once stop() begins) and `GET /metrics`.
 */
export class HealthCheckServer {
  private server: Server | undefined;
  private boundPort: number | undefined;

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

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.logger.error({ err: error }, 'health endpoint failed');
        if (!response.headersSent) respond(response, 500, 'text/plain', 'internal error\n');
        else response.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.port, this.settings.host, () => {
        server.off('error', reject);
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
