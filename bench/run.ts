/**
 * `pnpm bench [--quick] [suite…]`: runs every suite in bench/suites (or the named
 * ones), then writes bench/results/latest.md and latest.json with each figure,
 * its same-run baseline, the ratio, the goal and the machine.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exitWithUsageError, exitWithUsageIfAsked, parseOrExit } from '../scripts/lib/scriptArgs';
import type { BenchFigure, BenchSuite } from './lib/types';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => basename(f, '.ts'))
  .sort();

exitWithUsageIfAsked(`Usage: pnpm bench [--quick] [suite…]

Runs the benchmark suites (all, or the ones named: ${SUITES.join(', ')}), each
figure beside a baseline measured in the same run. A full run of every suite
writes bench/results/latest.md and latest.json; a run of some suites, or a
--quick one (fewer candles and rounds: a smoke run), only prints its figures.`);
const { values, positionals: only } = parseOrExit('bench', () =>
  parseArgs({ options: { quick: { type: 'boolean', default: false } }, allowPositionals: true }),
);
const quick = values.quick;
for (const name of only)
  if (!SUITES.includes(name))
    exitWithUsageError('bench', `unknown suite "${name}" (suites: ${SUITES.join(', ')})`);
const sharedDataDir = resolve(here, '..', '..', 'shared', 'data');

const suiteFiles = SUITES.filter((name) => only.length === 0 || only.includes(name)).map(
  (name) => `${name}.ts`,
);

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
// The committed results are a full run's: a partial or --quick run would replace them with less.
if (only.length === 0 && !quick) {
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
