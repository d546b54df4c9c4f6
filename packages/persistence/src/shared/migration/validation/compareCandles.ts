import type { FootprintCandleDTO } from '@flowtrace/core';

/** One field that differs between the source and the target candle. */
export interface FieldDifference {
  /** Field path, e.g. `h`, `aggs[3].bv`, `aggs.length`. */
  path: string;
  /** The values as JSON-safe text (`undefined` when absent, `-0` kept). */
  source: string;
  target: string;
}

/** How numbers compare: exactly (`Object.is`, so -0 ≠ 0 and NaN = NaN) unless a relative tolerance is set. */
export interface NumberTolerance {
  /** |a - b| <= relative * max(|a|, |b|) counts as equal. 0 (default) means exact via Object.is. */
  relative: number;
}

/** Every differing field of two candles, candle fields first, then bins in order. */
export function compareCandles(
  source: FootprintCandleDTO,
  target: FootprintCandleDTO,
  tolerance: NumberTolerance,
): FieldDifference[] {
  const differences: FieldDifference[] = [];
  compareRecords(
    source as unknown as Record<string, unknown>,
    target as unknown as Record<string, unknown>,
    '',
    tolerance,
    differences,
  );
  return differences;
}

function compareRecords(
  source: Record<string, unknown>,
  target: Record<string, unknown>,
  prefix: string,
  tolerance: NumberTolerance,
  out: FieldDifference[],
): void {
  const keys = new Set([...Object.keys(source), ...Object.keys(target)]);
  for (const key of keys) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const a = source[key];
    const b = target[key];
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length)
        out.push({ path: `${path}.length`, source: show(a.length), target: show(b.length) });
      const shared = Math.min(a.length, b.length);
      for (let index = 0; index < shared; index += 1) {
        const itemPath = `${path}[${index}]`;
        const itemA: unknown = a[index];
        const itemB: unknown = b[index];
        if (isRecord(itemA) && isRecord(itemB)) compareRecords(itemA, itemB, itemPath, tolerance, out);
        else if (!sameValue(itemA, itemB, tolerance))
          out.push({ path: itemPath, source: show(itemA), target: show(itemB) });
      }
      continue;
    }
    if (!sameValue(a, b, tolerance)) out.push({ path, source: show(a), target: show(b) });
  }
}

function sameValue(a: unknown, b: unknown, tolerance: NumberTolerance): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'number' || typeof b !== 'number' || tolerance.relative === 0) return false;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tolerance.relative * Math.max(Math.abs(a), Math.abs(b));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Object.is(value, -0)) return '-0';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}
