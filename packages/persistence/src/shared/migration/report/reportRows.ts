import { LEGACY_DEFAULTS } from '../../storage/CandleTransformer';
import type { MigrationResult } from '../MigrationResult';
import type { ValidationResult } from '../validation/ValidationResult';

/** The facts every format renders, flattened once so the formats cannot disagree. */
export interface ReportModel {
  summary: [string, string][];
  series: {
    series: string;
    source: number;
    target: number | undefined;
    resumedFrom: number;
    migrated: number;
    invalid: number;
    done: boolean;
  }[];
  defaulted: { field: string; candles: number; meaning: string }[];
  invalid: { key: string; path: string; rule: string; message: string }[];
  sourceProblems: { rule: string; key: string; message: string }[];
  differences: { kind: string; key: string; path: string; source: string; target: string }[];
}

export function buildReportModel(result: MigrationResult, validation?: ValidationResult): ReportModel {
  const summary: [string, string][] = [
    ['status', result.status],
    ['migrationId', result.migrationId],
    ['dryRun', String(result.dryRun)],
    ['resumed', String(result.resumed)],
    ['runs', String(result.runs)],
    ['startedAt', result.startedAt],
    ['finishedAt', result.finishedAt],
    ['durationMs', String(result.durationMs)],
    ['series', String(result.totals.series)],
    ['sourceCandles', String(result.totals.source)],
    ['readThisRun', String(result.totals.read)],
    ['migrated', String(result.totals.migrated)],
    ['migratedThisRun', String(result.totals.migratedThisRun)],
    ['written', String(result.totals.written)],
    ['unchanged', String(result.totals.unchanged)],
    ['invalid', String(result.totals.invalid)],
    ['sourceProblems', String(result.sourceProblems.length)],
    ['candlesPerSecond', result.rate.toFixed(1)],
  ];
  if (result.stopReason !== undefined) summary.push(['stopReason', result.stopReason]);
  if (validation) {
    summary.push(
      ['validation', validation.ok ? 'passed' : 'FAILED'],
      ['validationMode', validation.mode],
      [
        'validationTolerance',
        validation.tolerance.relative === 0 ? 'exact' : `relative ${validation.tolerance.relative}`,
      ],
      ['compared', String(validation.compared)],
      ['matched', String(validation.matched)],
      ['missing', String(validation.missing)],
      ['extra', String(validation.extra)],
      ['mismatched', String(validation.mismatched)],
    );
  }
  const targetCounts = new Map(validation?.series.map((entry) => [entry.series, entry.targetCount]));
  const legacyMeaning = LEGACY_DEFAULTS as Readonly<Record<string, string>>;
  return {
    summary,
    series: result.series.map((entry) => {
      const label = `${entry.exchange}:${entry.symbol}:${entry.timeframe}`;
      return {
        series: label,
        source: entry.sourceCount,
        target: targetCounts.get(label),
        resumedFrom: entry.resumedFrom,
        migrated: entry.migrated,
        invalid: entry.invalid,
        done: entry.done,
      };
    }),
    defaulted: Object.entries(result.defaulted?.defaulted ?? {}).map(([field, candles]) => ({
      field,
      candles: candles ?? 0,
      meaning: legacyMeaning[field] ?? '',
    })),
    invalid: result.invalid.flatMap((entry) =>
      entry.issues.map((issue) => ({
        key: entry.key,
        path: issue.path,
        rule: issue.rule,
        message: issue.message,
      })),
    ),
    sourceProblems: result.sourceProblems,
    differences: (validation?.differences ?? []).flatMap((difference) =>
      difference.fields.length === 0
        ? [{ kind: difference.kind, key: difference.key, path: '', source: '', target: '' }]
        : difference.fields.map((field) => ({
            kind: difference.kind,
            key: difference.key,
            path: field.path,
            source: field.source,
            target: field.target,
          })),
    ),
  };
}
