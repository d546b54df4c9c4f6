import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { bootstrap, InvalidPersistenceConfigError, resolvePersistenceConfig } from '../../src/index';
import { configIn, makeTempDir, silentLogger } from './helpers';

describe('bootstrap config', () => {
  it('fails with ONE typed error listing every problem by path', async () => {
    const bad = {
      socketPath: '',
      queuePath: 7,
      storage: { baseDir: '', walMode: 'yes' },
      healthCheckPort: 70_000,
      batchSize: 0,
      maxFrameBytes: 512 * 1024 * 1024,
      validation: { enabled: true, strictMode: false, maxErrorRate: 2, alertThreshold: 0.1 },
      colour: 'blue',
    };
    const error = await bootstrap(bad as never, { logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPersistenceConfigError);
    const typed = error as InvalidPersistenceConfigError;
    expect(typed.code).toBe('FLOWTRACE_INVALID_CONFIG');
    expect(typed.retryable).toBe(false);
    const paths = typed.problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'colour',
        'batchSize',
        'healthCheckPort',
        'maxFrameBytes',
        'queuePath',
        'socketPath',
        'storage.baseDir',
        'storage.walMode',
        'validation.maxErrorRate',
      ].sort(),
    );
  });

  it('checks the options too: a wrong logger, store, probe or hook, or a misspelt key, is a config problem', async () => {
    const dir = await makeTempDir();
    try {
      const problemsOf = async (config: unknown, options: unknown) => {
        const error = await bootstrap(config as never, options as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidPersistenceConfigError);
        return (error as InvalidPersistenceConfigError).problems.map((p) => p.path).sort();
      };
      // Before: accepted, then start() failed with a TypeError (logger), or the service ran
      // on a string as its store and failed every save.
      expect(
        await problemsOf(configIn(dir.path), {
          logger: 5,
          storage: 'memory',
          probe: true,
          configureContainer: {},
          loger: silentLogger,
        }),
      ).toEqual([
        'options.configureContainer',
        'options.loger',
        'options.logger',
        'options.probe',
        'options.storage',
      ]);
      const misspelt = await bootstrap(configIn(dir.path), { loger: silentLogger } as never).catch(
        (e: unknown) => e,
      );
      expect((misspelt as InvalidPersistenceConfigError).problems).toEqual([
        { path: 'options.loger', message: 'unknown option (did you mean options.logger?)' },
      ]);
      expect(await problemsOf(configIn(dir.path), { logger: { info() {} }, storage: { save() {} } })).toEqual(
        ['options.logger', 'options.storage'],
      );
      expect(await problemsOf(configIn(dir.path), 'quiet')).toEqual(['options']);
      // Every problem at once: the config's and the options'.
      expect(await problemsOf({ ...configIn(dir.path), batchSize: 0 }, { logger: null })).toEqual([
        'batchSize',
        'options.logger',
      ]);
      // What the documentation allows still works: a factory, an open instance, a pino-like logger.
      const store = await InMemoryCandleStorage.open();
      for (const storage of [() => InMemoryCandleStorage.open(), store, undefined]) {
        const { app } = await bootstrap(configIn(dir.path), {
          logger: silentLogger,
          storage,
          probe: undefined,
        });
        await app.start();
        await app.stop();
      }
      await store.close();
    } finally {
      await dir.remove();
    }
  });

  it('names a misspelt setting by its full path, with the setting it probably means', () => {
    const problems = (() => {
      try {
        resolvePersistenceConfig({
          socketpath: '/run/x.sock',
          queuePath: '/tmp/q.db',
          storage: { basedir: '/tmp/s', partitioning: { '1min': 'day' }, minFreeBytes: 1.5 },
          validation: { windowsize: 3 },
          somethingElse: 1,
        });
      } catch (error) {
        return (error as InvalidPersistenceConfigError).problems;
      }
      return [];
    })();
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'socketpath', message: 'unknown setting (did you mean socketPath?)' },
        { path: 'storage.basedir', message: 'unknown setting (did you mean storage.baseDir?)' },
        { path: 'validation.windowsize', message: 'unknown setting (did you mean validation.windowSize?)' },
        { path: 'somethingElse', message: 'unknown setting' },
        // A record keyed by timeframes suggests a timeframe; zod's "expected int" in plain words.
        {
          path: 'storage.partitioning.1min',
          message: 'unknown setting (did you mean storage.partitioning.1m?)',
        },
        { path: 'storage.minFreeBytes', message: 'must be a whole number' },
        // The setting it was meant to be is reported missing too.
        expect.objectContaining({ path: 'socketPath' }),
      ]),
    );
  });

  it('rejects alertThreshold above maxErrorRate', () => {
    expect(() =>
      resolvePersistenceConfig({
        socketPath: '/tmp/a.sock',
        queuePath: '/tmp/q.db',
        storage: { baseDir: '/tmp/c' },
        validation: { enabled: true, strictMode: false, maxErrorRate: 0.01, alertThreshold: 0.5 },
      }),
    ).toThrow(/validation.alertThreshold: alertThreshold must not exceed maxErrorRate/);
  });

  it('rejects a socket path longer than sun_path allows', () => {
    expect(() =>
      resolvePersistenceConfig({
        socketPath: `/tmp/${'x'.repeat(120)}`,
        queuePath: '/q',
        storage: { baseDir: '/c' },
      }),
    ).toThrow(/socketPath: must be at most 107 bytes/);
  });

  it('applies the documented defaults and freezes the result', () => {
    const config = resolvePersistenceConfig({
      socketPath: '/tmp/a.sock',
      queuePath: '/tmp/q.db',
      storage: { baseDir: '/c' },
    });
    expect(config).toMatchObject({
      healthCheckHost: '127.0.0.1',
      pollInterval: 1000,
      batchSize: 500,
      maxConnections: 100,
      maxFrameBytes: 1024 * 1024,
      stopTimeoutMs: 10_000,
      storage: { baseDir: '/c', useDatabase: false, organizeByExchange: false, walMode: true },
      validation: {
        enabled: true,
        strictMode: false,
        maxErrorRate: 0.05,
        alertThreshold: 0.01,
        windowSize: 1000,
        windowMs: 60_000,
        minSamples: 20,
      },
    });
    expect(config.healthCheckPort).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
  });
});
