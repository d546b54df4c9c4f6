import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../src/index';

describe('closestName (did you mean …?)', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('query', 'query')).toBe(0);
    expect(editDistance('qeury', 'query')).toBe(2);
    expect(editDistance('expor', 'export')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('picks the nearest candidate within the bound, the first of equals, or none', () => {
    const commands = ['series', 'query', 'export', 'import', 'verify'];
    expect(closestName('qeury', commands, 2)).toBe('query');
    expect(closestName('exprt', commands, 2)).toBe('export');
    // 'xport' is one edit from export and two from import; 'port' two from both: the first listed.
    expect(closestName('xport', ['import', 'export'], 2)).toBe('export');
    expect(closestName('port', ['import', 'export'], 2)).toBe('import');
    expect(closestName('port', ['export', 'import'], 2)).toBe('export');
    expect(closestName('frobnicate', commands, 2)).toBeUndefined();
    expect(
      closestName('FLOWTRACEBATCHSIZE', ['FLOWTRACE_BATCH_SIZE'], 3, (known, typed) =>
        known.replace(/_/g, '') === typed ? 0 : editDistance(known, typed),
      ),
    ).toBe('FLOWTRACE_BATCH_SIZE');
  });
});
