import type { z } from 'zod';
import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { type CandleIssue, formatIssuePath } from './CandleIssue';
import { checkCandleRules, type RuleViolation } from './candleRules';
import { footprintCandleShapeSchema } from './footprintCandleSchema';
import { readCandleShape } from './readCandleShape';

export type CandleValidationResult =
  | { ok: true; candle: FootprintCandleDTO; warnings: CandleIssue[] }
  | { ok: false; issues: CandleIssue[] };

export interface CandleValidationOptions {
  /** Reject on warnings too (default false: warnings are returned with the accepted candle). */
  strict?: boolean;
}

/**
 * Validates an untrusted candle (e.g. a parsed IPC payload) and returns either
 * the normalised DTO (defaults applied, unknown keys dropped) or EVERY problem
 * found. Hard errors always reject; warnings reject only when `strict`.
 * The rules and the tolerance are listed in docs/core.md.
 */
export function validateFootprintCandle(
  input: unknown,
  options?: CandleValidationOptions,
): CandleValidationResult {
  const strict = options?.strict ?? false;
  const shaped = readCandleShape(input);
  if (shaped !== undefined) {
    // The common case, without zod: a well-formed candle, most often clean.
    const violations = checkCandleRules(shaped);
    if (violations.length === 0) return { ok: true, candle: shaped, warnings: [] };
    return partition(violations, strict, [], shaped);
  }
  // zod runs only for malformed input: its issues are the error report.
  const parsed = footprintCandleShapeSchema.safeParse(input);
  const issues: CandleIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => fromSchemaIssue(issue, input));
  return partition(checkCandleRules(input), strict, issues, parsed.success ? parsed.data : undefined);
}

/** Hard errors always reject; warnings reject only when `strict`. */
function partition(
  violations: readonly RuleViolation[],
  strict: boolean,
  issues: CandleIssue[],
  candle: FootprintCandleDTO | undefined,
): CandleValidationResult {
  const warnings: CandleIssue[] = [];
  for (const violation of violations) {
    const issue = fromViolation(violation);
    if (issue.severity === 'error' || strict) issues.push(issue);
    else warnings.push(issue);
  }
  if (issues.length > 0 || candle === undefined) return { ok: false, issues };
  return { ok: true, candle, warnings };
}

function fromViolation(violation: RuleViolation): CandleIssue {
  return {
    path: formatIssuePath(violation.path),
    message: violation.message,
    rule: violation.rule,
    severity: violation.severity,
  };
}

function fromSchemaIssue(issue: z.core.$ZodIssue, input: unknown): CandleIssue {
  const path = formatIssuePath(issue.path);
  if (issue.path.length === 0) {
    return { path, rule: 'not-an-object', severity: 'error', message: 'a candle must be a JSON object' };
  }
  const value = valueAt(input, issue.path);
  if (value === undefined) {
    return { path, rule: 'missing-field', severity: 'error', message: `${path} is required` };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return {
      path,
      rule: 'not-finite',
      severity: 'error',
      message: `${path} must be a finite number, got ${value}`,
    };
  }
  return { path, rule: 'wrong-type', severity: 'error', message: `${path}: ${issue.message}` };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
