import { z } from 'zod';
import { MAX_TIMER_MS } from '../../../shared/options';

/** A delay that ends up in setTimeout (the client's; a longer one would fire after 1 ms). */
const timerMs = () => z.number().int().positive().max(MAX_TIMER_MS);

export const publisherOptionsSchema = z.object({
  socketPath: z.string().min(1),
  queuePath: z.string().min(1),
  requestTimeoutMs: timerMs().default(2_000),
  connectTimeout: timerMs().default(2_000),
  reconnectBaseDelayMs: timerMs().default(50),
  reconnectMaxDelayMs: timerMs().default(2_000),
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
