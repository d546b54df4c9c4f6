export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface ComponentHealth {
  status: HealthStatus;
  /** Short human-readable reason when not healthy. */
  reason?: string;
  [detail: string]: unknown;
}

export interface HealthReport {
  status: HealthStatus;
  /** ISO-8601 UTC. */
  timestamp: string;
  components: {
    unixSocket: ComponentHealth;
    queuePoller: ComponentHealth;
    storage: ComponentHealth;
    validation: ComponentHealth;
  };
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

export function worstStatus(statuses: readonly HealthStatus[]): HealthStatus {
  let worst: HealthStatus = 'healthy';
  for (const status of statuses) if (RANK[status] > RANK[worst]) worst = status;
  return worst;
}
