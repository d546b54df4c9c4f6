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

describe('rejected-candles log: each rejection of a message is recorded once', () => {
  const rejection = (messageId: string, payload: unknown, time = '2026-11-23T00:00:00.000Z') => ({
    time,
    channel: 'queue' as const,
    messageId,
    candleId: undefined,
    reasons: [{ path: 'v', message: 'must be >= 0', rule: 'range', severity: 'error' as const }],
    payload,
  });
  const lines = () =>
    readFileSync(join(dir, 'rejected.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { messageId: string; time: string; channel: string });

  it('skips an entry already on record (a retry: same message, same candle), even at another time or channel', async () => {
    const log = new JsonlRejectedCandleLog(join(dir, 'rejected.jsonl'));
    const first = await log.append([rejection('m1', { v: -1 }), rejection('m2', { v: -1 })]);
    expect(first.map((record) => record.written)).toEqual([true, true]);
    // Retried: the same message, rejected again later, now delivered by the queue after the socket.
    const retried = await log.append([
      rejection('m1', { v: -1 }, '2026-11-23T00:00:05.000Z'),
      { ...rejection('m2', { v: -1 }), channel: 'socket' as const },
    ]);
    // Told not written, under the same keys: what the use case counts by (once per rejection).
    expect(retried).toEqual(first.map((record) => ({ key: record.key, written: false })));
    expect(new Set(first.map((record) => record.key)).size).toBe(2);
    // Appended concurrently (one group commit): written once, by the first.
    const concurrent = await Promise.all([
      log.append([rejection('m3', { v: -3 })]),
      log.append([rejection('m3', { v: -3 })]),
    ]);
    expect(concurrent.map(([record]) => record?.written)).toEqual([true, false]);
    // A new message with the same candle, and the same id with another candle: new rejections.
    const fresh = await log.append([rejection('m4', { v: -1 }), rejection('m1', { v: -2 })]);
    expect(fresh.map((record) => record.written)).toEqual([true, true]);
    await log.close();
    expect(lines().map((l) => l.messageId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm1']);
    expect(lines()[0]).toMatchObject({ time: '2026-11-23T00:00:00.000Z', channel: 'queue' });
  });

  it('forgets the least recently seen rejection beyond its bound (a retry seen again is kept)', async () => {
    const log = new JsonlRejectedCandleLog(join(dir, 'rejected.jsonl'), 2);
    await log.append([rejection('a', 1), rejection('b', 1)]);
    await log.append([rejection('a', 1)]); // seen again: now the most recent
    await log.append([rejection('c', 1)]); // b is forgotten
    await log.append([rejection('a', 1), rejection('b', 1)]);
    await log.close();
    expect(lines().map((l) => l.messageId)).toEqual(['a', 'b', 'c', 'b']);
  });

  it('writes lines exactly as JSON.stringify of the entry', () => {
    const entry = { ...rejection('m1', { v: -1 }), candleId: 'binance:BTCUSDT:1m:0' };
    expect(serializeEntry(entry)).toBe(JSON.stringify(entry));
    expect(serializeEntry({ ...entry, candleId: undefined })).toBe(
      JSON.stringify({ ...entry, candleId: undefined }),
    );
  });
});
