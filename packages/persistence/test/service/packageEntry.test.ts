import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index';
import { PACKAGE_DIR } from './childProcess';

const SEED_NAMES = [
  'bootstrap',
  'CandlePersistenceService',
  'CandleValidator',
  'ContainerFactory',
  'ContainerValidator',
  'PERSISTENCE_TYPES',
  'CANDLE_PERSISTENCE_TYPES',
  'registerAllBindings',
];
/** The storage API and migration tools a program uses, also from the root (docs/persistence.md §1.1). */
const ROOT_STORAGE_NAMES = [
  'openCandleStore',
  'findCandleRange',
  'CandleRange',
  'verifyStore',
  'inspectFtcdFile',
  'backupStore',
  'InvalidBackupTargetError',
  'StorageClosedError',
  'StorageLockedError',
  'PartitionQuarantinedError',
  'StorageMigrator',
  'MigrationValidator',
];
const ROOT_NAMES = [...SEED_NAMES, ...ROOT_STORAGE_NAMES];

const built = ['core', 'ipc', 'persistence'].every((pkg) =>
  existsSync(join(PACKAGE_DIR, '..', pkg, 'dist', 'index.cjs')),
);
if (!built) {
  console.warn(
    'packages/{core,ipc,persistence}/dist missing: the require()/import() tests of the built package are skipped (run `pnpm --filter @flowtrace/persistence... build`)',
  );
}

/** Loads the built package in a plain Node process (no source condition) and bootstraps it. */
function runBuilt(code: string, inputType: 'commonjs' | 'module') {
  return spawnSync(process.execPath, [`--input-type=${inputType}`, '-e', code], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

const smoke = (load: string) => `
${load}
const os = require('node:os'); const path = require('node:path'); const fs = require('node:fs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-built-'));
(async () => {
  const { app } = await p.bootstrap({ socketPath: path.join(dir, 's.sock'), queuePath: path.join(dir, 'q.db'), storage: { baseDir: path.join(dir, 'c'), useDatabase: true } }, { logger: { debug() {}, info() {}, warn() {}, error() {} } });
  await app.start(); await app.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(${JSON.stringify(ROOT_NAMES)}.filter((n) => !(n in p)).join(',') || 'ok');
})();`;

describe('package entry points', () => {
  it('exports the seed names and the storage API from the root entry (sources)', () => {
    for (const name of ROOT_NAMES) expect(root).toHaveProperty(name);
  });

  it.skipIf(!built)('the built package works with require()', () => {
    const result = runBuilt(smoke("const p = require('@flowtrace/persistence');"), 'commonjs');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it.skipIf(!built)('the built package works with import()', () => {
    const code = smoke('').replace(
      '(async () => {',
      "(async () => { const p = await import('@flowtrace/persistence');",
    );
    const result = runBuilt(
      `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);${code}`,
      'module',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });
});
