import type { IPCMessage, IPCResponse } from '../../../shared/types';
import { InvalidEnvelopeError, InvalidJsonError } from './errors';

/**
 * Strict UTF-8: `Buffer#toString('utf8')` would silently turn invalid bytes into
 * U+FFFD and hand a corrupted message on; the protocol refuses such a frame.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new InvalidJsonError('Frame body is not valid UTF-8');
  }
}

/**
 * Parses and checks a request body. Hand-written rather than zod because it runs
 * once per frame on the hot path; the rules are those of the original platform:
 * non-empty string `id` and `type`, a `payload` key, numeric `timestamp` > 0.
 */
export function parseRequestEnvelope(body: Buffer): IPCMessage {
  const text = decodeBody(body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(`Frame body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEnvelopeError(['envelope must be a JSON object'], '');
  }
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  const id = typeof record.id === 'string' ? record.id : '';
  if (id.length === 0) problems.push('id must be a non-empty string');
  if (typeof record.type !== 'string' || record.type.length === 0)
    problems.push('type must be a non-empty string');
  if (!('payload' in record)) problems.push('payload is required');
  if (typeof record.timestamp !== 'number' || !Number.isFinite(record.timestamp) || record.timestamp <= 0) {
    problems.push('timestamp must be a number > 0 (epoch ms)');
  }
  if (problems.length > 0) throw new InvalidEnvelopeError(problems, id);
  return record as unknown as IPCMessage;
}

/** Parses a response body; undefined when it is not a response envelope. */
export function parseResponseEnvelope(body: Buffer): IPCResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'string' || typeof record.success !== 'boolean') return undefined;
  return record as unknown as IPCResponse;
}

export function errorResponse(
  id: string,
  error: string,
  code: string,
  retryable: boolean,
  data?: unknown,
): IPCResponse {
  return data === undefined
    ? { id, success: false, error, code, retryable }
    : { id, success: false, error, code, retryable, data };
}
