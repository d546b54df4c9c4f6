import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryCommand, runCli, runDaemonOnce } from './daemonProcess';

let dir: string;
const candles = generateFootprintCandles({ seed: 41, count: 20, bins: 3, symbol: 'LTCUSDT' });
// Same keys (exchange, symbol, timeframe, open time), other content: saved after `candles`, they supersede 6 of them.
const resaved = generateFootprintCandles({ seed: 42, count: 6, bins: 3, symbol: 'LTCUSDT' });
const series = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-cli-errors-'));
  // A daemon data directory: its store is data/candles.
  const store = await openCandleStore({ baseDir: join(dir, 'data', 'candles') });
  await store.saveMany(candles);
  await store.saveMany(resaved);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A usage error: exit 2, nothing on stdout, exactly two lines on stderr. */
function usageError(command: string, message: string) {
  return {
    code: 2,
    stdout: '',
    stderr: `flowtrace ${command}: ${message}\nRun 'flowtrace ${command} --help' for usage.\n`,
  };
}

describe(`flowtrace CLI errors (${entryCommand('cli').label})`, () => {
  it("parseArgs' errors are one line that says how to fix them, then the usage hint", async () => {
    const store = join(dir, 'data', 'candles');
    expect(await runCli(['query', store, ...series, '--bogus'], dir)).toMatchObject(
      usageError('query', 'unknown option --bogus'),
    );
    // A value starting with '-' is taken for an option: say how to pass it.
    expect(await runCli(['query', store, ...series, '--to', '-5'], dir)).toMatchObject(
      usageError('query', 'option --to needs a value; one starting with "-" is written --to=-5'),
    );
    expect(await runCli(['query', store, ...series, '--limit', '-1'], dir)).toMatchObject(
      usageError('query', 'option --limit needs a value; one starting with "-" is written --limit=-1'),
    );
    expect(await runCli(['series', store, '--format'], dir)).toMatchObject(
      usageError('series', 'option --format needs a value'),
    );
    expect(await runCli(['migrate', '--dry-run=yes'], dir)).toMatchObject(
      usageError('migrate', 'option --dry-run takes no value'),
    );
    expect(await runCli(['migrate', 'extra'], dir)).toMatchObject(
      usageError('migrate', 'unexpected argument "extra"'),
    );
    expect(await runCli(['export', store, '-x'], dir)).toMatchObject(
      usageError('export', 'unknown option -x'),
    );
  });

  it('--version and -v print the version the daemon prints, exit 0; the help names them', async () => {
    const daemon = await runDaemonOnce(['--version'], { cwd: dir });
    expect(daemon.code).toBe(0);
    expect(daemon.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    for (const flag of ['--version', '-v'])
      expect(await runCli([flag], dir)).toEqual({ code: 0, stdout: daemon.stdout, stderr: '' });
    const help = await runCli(['--help'], dir);
    expect(help.stdout).toContain('-v, --version');
  });

  it('the read commands refuse the directory above a store (exit 1), naming the store, instead of reading nothing', async () => {
    const data = join(dir, 'data');
    const hint = `no candle store in ${data}, but ${join(data, 'candles')} holds one: did you mean it?`;
    for (const args of [
      ['series', data, '--format', 'table'],
      ['series', data],
      ['query', data, ...series],
      ['export', data],
      ['verify', data],
    ]) {
      const command = args[0] ?? '';
      expect(await runCli(args, dir), args.join(' ')).toEqual({
        code: 1,
        stdout: '',
        stderr: `flowtrace ${command}: ${hint}\n`,
      });
    }
    // Nothing was written by the refused export.
    const out = join(dir, 'refused.jsonl');
    expect((await runCli(['export', data, '--out', out], dir)).code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('verify says its count is of candle versions in blocks: a candle saved again counts twice until compaction', async () => {
    const store = join(dir, 'data', 'candles');
    const listed = await runCli(['series', store, '--format', 'json'], dir);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ count: 20 }]);
    const verified = await runCli(['verify', store], dir);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^verified \d+ files, \d+ blocks holding 26 candle versions: clean\n$/);
  });

  it('inspect of a directory and export --out into a missing directory name the path given', async () => {
    const store = join(dir, 'data', 'candles');
    expect(await runCli(['inspect', store], dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: `flowtrace inspect: ${store} is a directory, not a .ftcd file (flowtrace verify checks a whole store)\n`,
    });
    const exported = await runCli(['export', store, '--out', join('nodir', 'x.jsonl')], dir);
    expect(exported).toEqual({
      code: 1,
      stdout: '',
      stderr: `flowtrace export: cannot write --out ${join('nodir', 'x.jsonl')}: directory nodir does not exist\n`,
    });
  });

  it('migrate refuses the same store as --from and --to (exit 2), however it is spelt, before opening it', async () => {
    const store = join(dir, 'data', 'candles');
    const link = join(dir, 'link-to-candles');
    symlinkSync(store, link);
    const before = readdirSync(store, { recursive: true });
    for (const [from, to] of [
      [store, store],
      ['data/candles', './data/candles/'],
      [store, link],
      ['data/../data/candles', store],
    ] as const) {
      const checkpoint = join(dir, 'same.checkpoint');
      const run = await runCli(
        ['migrate', '--from', `ftcd:${from}`, '--to', `ftcd:${to}`, '--checkpoint', checkpoint],
        dir,
      );
      expect(run, `${from} ${to}`).toEqual(
        usageError(
          'migrate',
          `--from ftcd:${from} and --to ftcd:${to} are the same directory: migrate copies a store into another, separate one`,
        ),
      );
      expect(existsSync(checkpoint)).toBe(false);
    }
    expect(readdirSync(store, { recursive: true })).toEqual(before);
    // Nor inside the source or around it (the target not created yet, reached through a link).
    symlinkSync(store, join(dir, 'link-to-store'));
    for (const [from, to, relation] of [
      [store, join(dir, 'link-to-store', 'sub', 'copy'), 'would put the target inside the source'],
      [store, dir, 'would put the source inside the target'],
    ] as const) {
      const nested = await runCli(['migrate', '--from', `ftcd:${from}`, '--to', `ftcd:${to}`], dir);
      expect(nested.code, nested.stderr).toBe(2);
      expect(nested.stderr).toContain(`--from ftcd:${from} and --to ftcd:${to} ${relation}: `);
    }
    expect(readdirSync(store, { recursive: true })).toEqual(before);
    // Another directory is still a target: the check compares locations, not spellings.
    mkdirSync(join(dir, 'copy'));
    const copied = await runCli(
      ['migrate', '--from', `ftcd:${store}`, '--to', `ftcd:${join(dir, 'copy')}`],
      dir,
    );
    expect(copied.stderr).toBe('');
    expect(copied.stdout).toContain('of 20 candles in 1 series');
  });
});
