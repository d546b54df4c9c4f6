import { z } from 'zod';

export const publisherOptionsSchema = z.object({
  socketPath: z.string().min(1),
  queuePath: z.string().min(1),
  requestTimeoutMs: z.number().int().positive().default(2_000),
  connectTimeout: z.number().int().positive().default(2_000),
  reconnectBaseDelayMs: z.number().int().positive().default(50),
  reconnectMaxDelayMs: z.number().int().positive().default(2_000),
  maxFrameBytes: z.number().int().positive().optional(),
  maxSocketBufferedBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  queueDurability: z.enum(['full', 'batched']).default('full'),
  queueBusyTimeoutMs: z.number().int().nonnegative().default(5_000),
  preserveOrder: z.boolean().default(true),
  splitLargeBatches: z.boolean().default(true),
});
