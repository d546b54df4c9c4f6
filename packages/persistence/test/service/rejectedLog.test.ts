import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JsonlRejectedCandleLog,
  serializeEntry,
} from '../../src/shared/infrastructure/consumer/audit/JsonlRejectedCandleLog';

function deeplyNested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-rejected-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rejected-candles log: recording a refusal never fails', () => {
  const entry = (payload: unknown) => ({
    time: '2026-11-23T00:00:00.000Z',
    channel: 'socket' as const,
    messageId: 'm1',
    candleId: undefined,
    reasons: [{ path: 'ex', message: 'must be a string', rule: 'type', severity: 'error' as const }],
    payload,
  });

  it('replaces a payload JSON cannot encode (200,000 levels deep, BigInt) by a marker and a bounded preview', () => {
    for (const payload of [deeplyNested(200_000), { n: 10n }]) {
      const line = serializeEntry(entry(payload));
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.payloadUnserializable).toBe(true);
      expect(parsed.messageId).toBe('m1');
      expect(parsed.reasons).toHaveLength(1);
      expect(String(parsed.payloadError)).toMatch(/RangeError|TypeError/);
      expect(String(parsed.payloadPreview).length).toBeLessThanOrEqual(4096);
      expect(parsed).not.toHaveProperty('payload');
    }
    expect(JSON.parse(serializeEntry(entry({ ok: 1 })))).toMatchObject({ payload: { ok: 1 } });
  });

  it('appends such entries durably beside ordinary ones', async () => {
    const log = new JsonlRejectedCandleLog(join(dir, 'rejected.jsonl'));
    await log.append([entry(deeplyNested(200_000)), entry({ ok: 1 })]);
    await log.close();
    const lines = readFileSync(join(dir, 'rejected.jsonl'), 'utf8').trim().split('\n');
    expect(
      lines.map((l) => (JSON.parse(l) as { payloadUnserializable?: boolean }).payloadUnserializable),
    ).toEqual([true, undefined]);
  });
});
