import { FlowTraceCoreError } from '../errors/FlowTraceCoreError';
import { type CandleIssue, formatIssue } from './CandleIssue';

const ISSUES_IN_MESSAGE = 5;

/** A candle failed validation; `issues` lists every problem found. */
export class CandleValidationError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_INVALID_CANDLE';
  readonly issues: readonly CandleIssue[];

  constructor(issues: readonly CandleIssue[]) {
    const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((issue) => `${formatIssue(issue)} [${issue.rule}]`);
    const more = issues.length > ISSUES_IN_MESSAGE ? `; and ${issues.length - ISSUES_IN_MESSAGE} more` : '';
    super(`Invalid footprint candle: ${shown.join('; ')}${more}`);
    this.issues = Object.freeze([...issues]);
  }
}
