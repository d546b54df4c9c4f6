/**
 * `pnpm bench [--quick] [suite…]`: runs every suite in bench/suites (or the named
 * ones), then writes bench/results/latest.md and latest.json with each figure,
 * its same-run baseline, the ratio, the goal and the machine.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchFigure, BenchSuite } from './lib/types';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const sharedDataDir = resolve(here, '..', '..', 'shared', 'data');

const suiteFiles = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.includes(basename(f, '.ts')))
  .sort();

const figures: BenchFigure[] = [];
for (const file of suiteFiles) {
  const name = basename(file, '.ts');
  const tmpDir = mkdtempSync(join(tmpdir(), `flowtrace-bench-${name}-`));
  console.log(`\n== ${name} ==`);
  try {
    const mod = (await import(pathToFileURL(join(here, 'suites', file)).href)) as { default: BenchSuite };
    const result = await mod.default({
      tmpDir,
      sharedDataDir: existsSync(sharedDataDir) ? sharedDataDir : undefined,
      quick,
      log: (m) => console.log(`  ${m}`),
    });
    for (const f of result) console.log(`  ${formatLine(f)}`);
    figures.push(...result);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  date: new Date().toISOString(),
  quick,
};
const resultsDir = join(here, 'results');
if (only.length === 0) {
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify({ machine, figures }, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), renderMarkdown(machine, figures));
  console.log(`\nwrote ${join('bench', 'results', 'latest.md')} and latest.json`);
}
const missed = figures.filter((f) => f.goalMet === false);
if (missed.length > 0)
  console.log(`\n${missed.length} goal(s) not met:\n${missed.map(formatLine).join('\n')}`);

function ratio(f: BenchFigure): number | undefined {
  if (!f.baseline || f.baseline.value === 0) return undefined;
  return f.value / f.baseline.value;
}

function fmt(n: number): string {
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

function formatLine(f: BenchFigure): string {
  const r = ratio(f);
  const base = f.baseline ? ` | baseline ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : '';
  const goal = f.goal ? ` | goal ${f.goal}: ${f.goalMet ? 'met' : 'NOT met'}` : '';
  return `${f.name}: ${fmt(f.value)} ${f.unit}${base}${r === undefined ? '' : ` | ratio ${r.toFixed(2)}x`}${goal}`;
}

function renderMarkdown(m: typeof machine, fs: BenchFigure[]): string {
  const rows = fs.map((f) => {
    const r = ratio(f);
    return `| ${f.suite} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)}` : '-'} | ${r === undefined ? '-' : `${r.toFixed(2)}x`} | ${f.goal ?? '-'} | ${f.goalMet === undefined ? '-' : f.goalMet ? 'yes' : '**no**'} |`;
  });
  return [
    '# FlowTrace benchmark report',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}. Run at ${m.date}${m.quick ? ' (quick mode)' : ''}.`,
    '',
    'Every figure is measured beside its baseline in the same run; the ratio is figure / baseline.',
    '',
    '| suite | figure | value | baseline (same run) | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...fs.filter((f) => f.note).map((f) => `- ${f.suite} / ${f.name}: ${f.note}`),
    '',
  ].join('\n');
}
