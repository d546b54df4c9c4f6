import { z } from 'zod';
import { QueueMessageValidationError } from './errors';
import type { QueueMessage } from './types';

export const queueMessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
  timestamp: z.number().finite().positive(),
});

/**
 * Returns the message typed, or throws QueueMessageValidationError listing every
 * problem. Valid messages take a hand-written fast path (it runs per enqueued
 * row); zod runs only to describe what is wrong, so the rules stay the schema's.
 */
export function validateQueueMessage(value: unknown): QueueMessage {
  if (isValidQueueMessage(value)) return value;
  const result = queueMessageSchema.safeParse(value);
  if (!result.success) {
    throw new QueueMessageValidationError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data as QueueMessage;
}

function isValidQueueMessage(value: unknown): value is QueueMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.id === 'string' &&
    m.id.length > 0 &&
    typeof m.type === 'string' &&
    m.type.length > 0 &&
    m.payload !== undefined &&
    typeof m.timestamp === 'number' &&
    Number.isFinite(m.timestamp) &&
    m.timestamp > 0
  );
}
