import { z } from 'zod';
import { QueueMessageValidationError } from './errors';
import type { QueueMessage } from './types';

export const queueMessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
  timestamp: z.number().finite().positive(),
});

/** Returns the message typed, or throws QueueMessageValidationError listing every problem. */
export function validateQueueMessage(value: unknown): QueueMessage {
  const result = queueMessageSchema.safeParse(value);
  if (!result.success) {
    throw new QueueMessageValidationError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data as QueueMessage;
}
