import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The fenced shell commands of the README's "Quick start" section, in order. */
function quickStartCommands(): string[] {
  const readme = read('README.md');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start'));
  if (!section) throw new Error('README.md has no "## Quick start" section');
  return [...section.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
}

describe('repository conventions', () => {
  it('the README quick start is exactly two one-line commands: the demo, then the tests', () => {
    const commands = quickStartCommands();
    expect(commands).toHaveLength(2);
    for (const command of commands) expect(command.split('\n')).toHaveLength(1);
    expect(commands[0]).toMatch(/pnpm demo$/);
    expect(commands[1]).toMatch(/pnpm test$/);
  });

  it('.ci/run runs the README test command verbatim', () => {
    const testCommand = quickStartCommands()[1] ?? '';
    const ciLines = read('.ci/run')
      .split('\n')
      .map((l) => l.trim());
    expect(ciLines).toContain(testCommand);
  });

  it('pins pnpm 10 in packageManager and in the quick start', () => {
    const pkg = JSON.parse(read('package.json')) as { packageManager: string };
    expect(pkg.packageManager).toMatch(/^pnpm@10\.\d+\.\d+$/);
    const version = pkg.packageManager.slice('pnpm@'.length);
    for (const command of quickStartCommands()) expect(command).toContain(`pnpm@${version}`);
  });

  it('every published package maps import and require to their own declarations', () => {
    for (const name of ['core', 'ipc', 'persistence']) {
      const pkg = JSON.parse(read(`packages/${name}/package.json`)) as {
        exports: Record<string, string | Record<string, unknown>>;
      };
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        if (typeof target === 'string') continue;
        const esm = target.import as { types: string; default: string };
        const cjs = target.require as { types: string; default: string };
        expect(esm.types, `${name} ${subpath}`).toMatch(/\.d\.ts$/);
        expect(esm.default, `${name} ${subpath}`).toMatch(/\.js$/);
        expect(cjs.types, `${name} ${subpath}`).toMatch(/\.d\.cts$/);
        expect(cjs.default, `${name} ${subpath}`).toMatch(/\.cjs$/);
      }
    }
  });
});
