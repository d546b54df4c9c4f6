import { formatIssue } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';

describe('formatIssue', () => {
  const issue = (path: string, message: string) => ({ path, message });

  it('puts the path in front of a message that does not begin with it', () => {
    expect(formatIssue(issue('aggs[1].v', 'bin v 3 is not bv + sv = 2'))).toBe(
      'aggs[1].v: bin v 3 is not bv + sv = 2',
    );
    // Beginning with the path's letters is not naming it.
    expect(formatIssue(issue('v', 'volume is off'))).toBe('v: volume is off');
  });

  it('prints the path once when the message begins with it, and no path for the whole candle', () => {
    expect(formatIssue(issue('t', 't is required'))).toBe('t is required');
    expect(formatIssue(issue('t', 't: Invalid input'))).toBe('t: Invalid input');
    expect(formatIssue(issue('t', 't'))).toBe('t');
    expect(formatIssue(issue('', 'a candle must be a JSON object'))).toBe('a candle must be a JSON object');
  });
});
