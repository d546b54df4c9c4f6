import { writeFile } from 'node:fs/promises';
import { InvalidMigrationConfigError } from '../MigrationErrors';
import type { MigrationResult } from '../MigrationResult';
import type { ValidationResult } from '../validation/ValidationResult';
import { csvField, escapeHtml, markdownCell } from './escape';
import { buildReportModel, type ReportModel } from './reportRows';

export const REPORT_FORMATS = ['json', 'markdown', 'html', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** CSV header; one row per fact, the `record` column says which kind (docs/migration.md). */
export const CSV_COLUMNS = [
  'record',
  'series',
  'key',
  'field',
  'source',
  'target',
  'count',
  'message',
] as const;

/** Renders a MigrationResult (and optionally its ValidationResult) as json, markdown, html or csv. */
export class MigrationReporter {
  constructor(private readonly title = 'FlowTrace migration report') {}

  render(format: ReportFormat, result: MigrationResult, validation?: ValidationResult): string {
    switch (format) {
      case 'json':
        return this.toJson(result, validation);
      case 'markdown':
        return this.toMarkdown(result, validation);
      case 'html':
        return this.toHtml(result, validation);
      case 'csv':
        return this.toCsv(result, validation);
      default:
        throw new InvalidMigrationConfigError(`Unknown report format "${String(format)}"`);
    }
  }

  async write(
    path: string,
    format: ReportFormat,
    result: MigrationResult,
    validation?: ValidationResult,
  ): Promise<void> {
    await writeFile(path, this.render(format, result, validation), 'utf8');
  }

  toJson(result: MigrationResult, validation?: ValidationResult): string {
    return `${JSON.stringify({ title: this.title, migration: result, validation: validation ?? null }, null, 2)}\n`;
  }

  toMarkdown(result: MigrationResult, validation?: ValidationResult): string {
    const model = buildReportModel(result, validation);
    const lines = [`# ${markdownCell(this.title)}`, ''];
    const table = (headers: readonly string[], rows: readonly (readonly (string | number)[])[]) => {
      lines.push(`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`);
      for (const row of rows) lines.push(`| ${row.map((cell) => markdownCell(String(cell))).join(' | ')} |`);
      lines.push('');
    };
    lines.push('## Summary', '');
    table(['item', 'value'], model.summary);
    lines.push('## Series', '');
    table(['series', 'source', 'target', 'resumed from', 'migrated', 'invalid', 'done'], seriesRows(model));
    if (model.defaulted.length > 0) {
      lines.push('## Defaulted legacy fields', '');
      table(
        ['field', 'candles', 'default'],
        model.defaulted.map((entry) => [entry.field, entry.candles, entry.meaning]),
      );
    }
    if (model.invalid.length > 0) {
      lines.push('## Invalid candles', '');
      table(
        ['candle', 'path', 'rule', 'message'],
        model.invalid.map((entry) => [entry.key, entry.path, entry.rule, entry.message]),
      );
    }
    if (model.sourceProblems.length > 0) {
      lines.push('## Left out by the source', '');
      table(
        ['rule', 'key', 'message'],
        model.sourceProblems.map((entry) => [entry.rule, entry.key, entry.message]),
      );
    }
    if (model.differences.length > 0) {
      lines.push('## Differences', '');
      table(
        ['kind', 'candle', 'path', 'source', 'target'],
        model.differences.map((entry) => [entry.kind, entry.key, entry.path, entry.source, entry.target]),
      );
    }
    return lines.join('\n');
  }

  toHtml(result: MigrationResult, validation?: ValidationResult): string {
    const model = buildReportModel(result, validation);
    const parts = [
      '<!DOCTYPE html>',
      '<html lang="en">',
      `<head><meta charset="utf-8"><title>${escapeHtml(this.title)}</title></head>`,
      '<body>',
      `<h1>${escapeHtml(this.title)}</h1>`,
    ];
    const table = (
      caption: string,
      headers: readonly string[],
      rows: readonly (readonly (string | number)[])[],
    ) => {
      parts.push(`<h2>${escapeHtml(caption)}</h2>`, '<table>');
      parts.push(
        `<thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr></thead>`,
      );
      parts.push('<tbody>');
      for (const row of rows)
        parts.push(`<tr>${row.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`);
      parts.push('</tbody></table>');
    };
    table('Summary', ['item', 'value'], model.summary);
    table(
      'Series',
      ['series', 'source', 'target', 'resumed from', 'migrated', 'invalid', 'done'],
      seriesRows(model),
    );
    if (model.defaulted.length > 0) {
      table(
        'Defaulted legacy fields',
        ['field', 'candles', 'default'],
        model.defaulted.map((entry) => [entry.field, entry.candles, entry.meaning]),
      );
    }
    if (model.invalid.length > 0) {
      table(
        'Invalid candles',
        ['candle', 'path', 'rule', 'message'],
        model.invalid.map((entry) => [entry.key, entry.path, entry.rule, entry.message]),
      );
    }
    if (model.sourceProblems.length > 0) {
      table(
        'Left out by the source',
        ['rule', 'key', 'message'],
        model.sourceProblems.map((entry) => [entry.rule, entry.key, entry.message]),
      );
    }
    if (model.differences.length > 0) {
      table(
        'Differences',
        ['kind', 'candle', 'path', 'source', 'target'],
        model.differences.map((entry) => [entry.kind, entry.key, entry.path, entry.source, entry.target]),
      );
    }
    parts.push('</body>', '</html>', '');
    return parts.join('\n');
  }

  toCsv(result: MigrationResult, validation?: ValidationResult): string {
    const model = buildReportModel(result, validation);
    const rows: (string | number | undefined)[][] = [[...CSV_COLUMNS]];
    for (const [field, value] of model.summary) rows.push(['summary', '', '', field, '', '', '', value]);
    for (const entry of model.series) {
      rows.push([
        'series',
        entry.series,
        '',
        '',
        entry.source,
        entry.target,
        entry.migrated,
        entry.done ? 'done' : 'incomplete',
      ]);
    }
    for (const entry of model.defaulted)
      rows.push(['defaulted', '', '', entry.field, '', '', entry.candles, entry.meaning]);
    for (const entry of model.invalid) {
      rows.push(['invalid', '', entry.key, entry.path, '', '', '', `${entry.rule}: ${entry.message}`]);
    }
    for (const entry of model.sourceProblems)
      rows.push(['source-problem', '', entry.key, '', '', '', '', `${entry.rule}: ${entry.message}`]);
    for (const entry of model.differences) {
      rows.push(['difference', '', entry.key, entry.path, entry.source, entry.target, '', entry.kind]);
    }
    return `${rows.map((row) => row.map((cell) => csvField(cell)).join(',')).join('\r\n')}\r\n`;
  }
}

function seriesRows(model: ReportModel): (string | number)[][] {
  return model.series.map((entry) => [
    entry.series,
    entry.source,
    entry.target ?? '',
    entry.resumedFrom,
    entry.migrated,
    entry.invalid,
    entry.done ? 'yes' : 'no',
  ]);
}
