import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Runs a repository script the way its pnpm script does (from source). */
function runScript(path: string, args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=flowtrace-source', '--import', 'tsx', path, ...args],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pnpm bench, chaos and soak arguments', () => {
  it('--help prints the usage and exits 0; a bad option or value exits 2 with one line, before any work', () => {
    const latest = join(root, 'bench', 'results', 'latest.md');
    const before = existsSync(latest) ? readFileSync(latest, 'utf8') : undefined;
    for (const [script, name] of [
      ['bench/run.ts', 'bench'],
      ['scripts/chaos.ts', 'chaos'],
      ['scripts/soak.ts', 'soak'],
    ] as const) {
      const help = runScript(script, ['--help']);
      expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^Usage: pnpm ${name} `));
      const typo = runScript(script, ['--qiuck']);
      expect(typo).toMatchObject({
        code: 2,
        stdout: '',
        stderr: `pnpm ${name}: Unknown option '--qiuck'\nRun 'pnpm ${name} --help' for usage.\n`,
      });
    }
    expect(runScript('bench/run.ts', ['storgae'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^pnpm bench: unknown suite "storgae" \(suites: .*storage.*\)\n/),
    });
    expect(runScript('scripts/chaos.ts', ['--store', 'sqlit'])).toMatchObject({
      code: 2,
      stderr: `pnpm chaos: --store must be one of ftcd, sqlite, both; got "sqlit"\nRun 'pnpm chaos --help' for usage.\n`,
    });
    expect(runScript('scripts/chaos.ts', ['--kills', '0']).stderr).toMatch(
      /^pnpm chaos: --kills must be a whole number from 1; got "0"\n/,
    );
    expect(runScript('scripts/soak.ts', ['--minutes', 'ten']).code).toBe(2);
    // None of it ran a benchmark: the committed results are untouched.
    expect(existsSync(latest) ? readFileSync(latest, 'utf8') : undefined).toBe(before);
  });
});
