import { z } from 'zod';

export const queueOptionsSchema = z.object({
  dbPath: z.string().min(1),
  retentionHours: z.number().nonnegative().default(24),
  durability: z.enum(['full', 'batched']).default('full'),
  busyTimeoutMs: z.number().int().nonnegative().default(5_000),
  leaseMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().positive().default(5),
  maxDeliveries: z.number().int().positive().default(20),
  pageSize: z
    .number()
    .int()
    .refine((n) => n >= 512 && n <= 65536 && (n & (n - 1)) === 0, 'a power of two from 512 to 65536')
    .default(16384),
  retryDelayMs: z.number().int().nonnegative().default(1_000),
  maxRetryDelayMs: z.number().int().nonnegative().default(60_000),
  readOnly: z.boolean().default(false),
});
export type ResolvedQueueOptions = Readonly<z.output<typeof queueOptionsSchema>>;

export const pollerOptionsSchema = z.object({
  pollInterval: z.number().int().positive().default(1_000),
  batchSize: z.number().int().positive().default(50),
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  cleanupIntervalMs: z.number().int().nonnegative().default(3_600_000),
});

/** Delay before retry number `attempts` (1-based): doubling, capped. */
export function retryDelayFor(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
}
