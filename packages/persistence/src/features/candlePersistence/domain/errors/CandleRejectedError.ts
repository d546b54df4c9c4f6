import { type CandleIssue, formatIssue } from '@flowtrace/core';
import { FlowTracePersistenceError } from './FlowTracePersistenceError';

/** A candle failed validation. Never retryable: sending it again gives the same answer. */
export class CandleRejectedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_CANDLE_REJECTED';
  readonly retryable = false;

  constructor(readonly issues: readonly CandleIssue[]) {
    super(`Candle rejected: ${describeIssues(issues)}`);
  }
}

/** `path: message [rule]` for each issue (the path once: formatIssue), joined; capped so one reply stays small. */
export function describeIssues(issues: readonly CandleIssue[], max = 10): string {
  const shown = issues.slice(0, max).map((i) => `${formatIssue(i)} [${i.rule}]`);
  if (issues.length > max) shown.push(`… ${issues.length - max} more`);
  return shown.join('; ');
}
