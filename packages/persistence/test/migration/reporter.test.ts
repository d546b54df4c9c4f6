import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  CSV_COLUMNS,
  MigrationReporter,
  type MigrationResult,
  MigrationValidator,
  StorageMigrator,
  type ValidationResult,
} from '../../src/shared/migration/index';

const HOSTILE = '<script>alert("x")</script>, \'quoted\' | pipe\r\nnext line';

/** A real migration with an invalid candle, then a target corrupted with a hostile string. */
async function hostileRun(): Promise<{ result: MigrationResult; validation: ValidationResult }> {
  const candles = generateFootprintCandles({ seed: 91, count: 12, bins: 3 });
  const source = await InMemoryCandleStorage.open();
  await source.saveMany(
    candles.map((candle, index) => (index === 5 ? { ...candle, l: candle.h + 1 } : candle)),
  );
  const target = await InMemoryCandleStorage.open();
  const result = await new StorageMigrator({ source, target, migrationId: HOSTILE, batchSize: 4 }).migrate();
  await target.save({ ...candles[2]!, a: HOSTILE });
  const validation = await new MigrationValidator().validate(source, target);
  return { result, validation };
}

/** RFC 4180 parser, strict: a quote inside an unquoted field is an error. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = 0;
  let quoted = false;
  while (index < text.length) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (char === '"') {
        quoted = false;
        index += 1;
        continue;
      }
      field += char;
      index += 1;
      continue;
    }
    if (char === '"') {
      if (field !== '') throw new Error(`quote inside unquoted field at ${index}`);
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else if (char === '\n' || char === '\r') throw new Error(`bare line break at ${index}`);
    else field += char;
    index += 1;
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || row.length > 0) throw new Error('last row lacks CRLF');
  return rows;
}

describe('MigrationReporter', () => {
  it('json round-trips the migration and validation results', async () => {
    const { result, validation } = await hostileRun();
    const parsed = JSON.parse(new MigrationReporter('Move').render('json', result, validation)) as unknown;
    expect(parsed).toEqual({ title: 'Move', migration: JSON.parse(JSON.stringify(result)), validation });
    expect(JSON.parse(new MigrationReporter().toJson(result))).toMatchObject({ validation: null });
  });

  it('csv quotes commas, quotes and line breaks so every row parses back to the exact values', async () => {
    const { result, validation } = await hostileRun();
    const rows = parseCsv(new MigrationReporter().render('csv', result, validation));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.every((row) => row.length === CSV_COLUMNS.length)).toBe(true);
    expect(rows).toContainEqual(['summary', '', '', 'migrationId', '', '', '', HOSTILE]);
    expect(rows).toContainEqual(['summary', '', '', 'validation', '', '', '', 'FAILED']);
    const difference = rows.find((row) => row[0] === 'difference' && row[3] === 'a');
    expect(difference?.[4]).toBe('""');
    expect(difference?.[5]).toBe(JSON.stringify(HOSTILE));
    expect(difference?.[7]).toBe('mismatch');
    const invalid = rows.filter((row) => row[0] === 'invalid');
    expect(invalid.length).toBeGreaterThan(0);
    expect(invalid.every((row) => row[2] === result.invalid[0]!.key)).toBe(true);
    expect(rows.filter((row) => row[0] === 'series')).toEqual([
      ['series', 'binance:BTCUSDT:1m', '', '', '12', '11', '11', 'done'],
    ]);
  });

  it('html escapes every value (no markup from data survives) and renders one table row per fact', async () => {
    const { result, validation } = await hostileRun();
    const html = new MigrationReporter('<Move & check>').render('html', result, validation);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, &#39;quoted&#39;');
    expect(html).toContain('<title>&lt;Move &amp; check&gt;</title>');
    // Only the report's own tags remain once escaped text is removed.
    const tags = new Set(
      [...html.matchAll(/<\/?([a-zA-Z!][a-zA-Z0-9]*)/g)].map((match) => match[1]!.toLowerCase()),
    );
    expect([...tags].sort()).toEqual([
      '!doctype',
      'body',
      'h1',
      'h2',
      'head',
      'html',
      'meta',
      'table',
      'tbody',
      'td',
      'th',
      'thead',
      'title',
      'tr',
    ]);
    expect(html).toContain('<h2>Differences</h2>');
    expect(html).toContain('<h2>Invalid candles</h2>');
  });

  it('markdown keeps every table row on one line with the right number of cells', async () => {
    const { result, validation } = await hostileRun();
    const markdown = new MigrationReporter().render('markdown', result, validation);
    expect(markdown).toContain('## Differences');
    const lines = markdown.split('\n');
    let expectedCells = 0;
    for (const line of lines) {
      if (!line.startsWith('|')) {
        expectedCells = 0;
        continue;
      }
      const cells = line.split(/(?<!\\)\|/).length - 2;
      if (expectedCells === 0) expectedCells = cells;
      expect(cells, line).toBe(expectedCells);
    }
    expect(markdown).not.toContain('<script>');
    expect(markdown).toContain('&lt;script&gt;');
    expect(() => new MigrationReporter().render('pdf' as 'json', result)).toThrow(/Unknown report format/);
  });
});
