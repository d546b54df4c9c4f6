import { z } from 'zod';
import { MAX_TIMER_MS } from '../../../shared/options';
import { DEFAULT_MAX_FRAME_BYTES } from './FrameDecoder';
import { MAX_SOCKET_PATH_BYTES } from './socketPath';

const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().nonnegative();
const maxFrame = () => z.number().int().positive().max(0xffffffff);
/** A delay the client hands to setTimeout (a longer one would fire after 1 ms). */
const timerMs = () => positiveInt().max(MAX_TIMER_MS);

export const serverOptionsSchema = z.object({
  socketPath: z.string().min(1),
  maxConnections: positiveInt().default(100),
  maxFrameBytes: maxFrame().default(DEFAULT_MAX_FRAME_BYTES),
  socketMode: z.number().int().min(0).max(0o777).default(0o600),
  maxInFlightPerConnection: positiveInt().default(256),
  idleTimeoutMs: nonNegativeInt().default(300_000),
  partialFrameTimeoutMs: positiveInt().default(10_000),
  maxPendingReplyBytes: positiveInt().default(4 * 1024 * 1024),
  stopTimeoutMs: nonNegativeInt().default(5_000),
});
export type ResolvedServerOptions = Readonly<z.output<typeof serverOptionsSchema>>;

export const clientOptionsSchema = z.object({
  // connect() would otherwise reach a silently truncated path: another socket, or none.
  socketPath: z
    .string()
    .min(1)
    .refine((path) => Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES, {
      error: (issue) =>
        `must be at most ${MAX_SOCKET_PATH_BYTES} bytes (Unix socket path limit; got ${Buffer.byteLength(issue.input as string)})`,
    }),
  connectTimeout: timerMs().default(5_000),
  requestTimeoutMs: timerMs().default(5_000),
  autoReconnect: z.boolean().default(true),
  reconnectBaseDelayMs: timerMs().default(50),
  reconnectMaxDelayMs: timerMs().default(5_000),
  maxFrameBytes: maxFrame().default(DEFAULT_MAX_FRAME_BYTES),
  writeHighWaterBytes: positiveInt().default(1024 * 1024),
});
export type ResolvedClientOptions = Readonly<z.output<typeof clientOptionsSchema>>;
